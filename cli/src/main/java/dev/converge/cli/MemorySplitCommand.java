package dev.converge.cli;

import dev.converge.train.MemorySplit;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "memory-split", mixinStandardHelpOptions = true,
        description = {"Split a container's memory between the training JVM's heap and native headroom.",
                "Reads the cgroup v2 or v1 limit when --container-limit is not given."})
final class MemorySplitCommand implements Callable<Integer> {
    @Option(names = "--container-limit", paramLabel = "SIZE", description = "e.g. 16g (default: the cgroup limit)")
    String containerLimit;

    @Option(names = "--xgboost-estimate", paramLabel = "SIZE", defaultValue = "1g",
            description = "Native memory XGBoost may take (default ${DEFAULT-VALUE}).")
    String xgboost;

    @Option(names = "--heap-fraction", defaultValue = "0.70", description = "Share of the limit for the heap (default ${DEFAULT-VALUE}).")
    double heapFraction;

    @Option(names = "--output", paramLabel = "FILE", description = "Write JAVA_OPTS=... to FILE (e.g. jvm-args.env).")
    Path output;

    @Option(names = "--argfile", paramLabel = "FILE", description = "Write the JVM options as a java @argfile, one"
            + " per line: `java @FILE ...` takes them, with no shell (a Kubernetes init step writes it for the node).")
    Path argfile;

    @Override
    public Integer call() throws Exception {
        MemorySplit split = compute(containerLimit, xgboost, heapFraction);
        System.out.println(split.describe());
        if (output != null) {
            Files.writeString(output, "JAVA_OPTS=\"" + split.jvmArgs() + "\"\n", StandardCharsets.UTF_8);
            System.out.println("Wrote " + output);
        }
        if (argfile != null) {
            Files.writeString(argfile, String.join("\n", split.jvmArgs().split(" ")) + "\n", StandardCharsets.UTF_8);
            System.out.println("Wrote " + argfile);
        }
        return 0;
    }

    static MemorySplit compute(String containerLimit, String xgboost, double heapFraction) {
        long limit;
        if (containerLimit != null) {
            limit = MemorySplit.parseSize(containerLimit);
        } else {
            OptionalLong cgroup = MemorySplit.cgroupLimit(Path.of("/sys/fs/cgroup"));
            if (cgroup.isEmpty()) {
                throw new IllegalArgumentException("no cgroup memory limit is set for this process;"
                        + " pass --container-limit SIZE (e.g. 16g)");
            }
            limit = cgroup.getAsLong();
        }
        return MemorySplit.compute(limit, heapFraction, MemorySplit.parseSize(xgboost));
    }
}
