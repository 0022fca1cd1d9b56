package dev.converge.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two builds of the same sources give the same jar, byte for byte: the reactor's build of {@code contracts} and a
 * second one, made here from a copy of its sources in another directory at another time
 * ({@code project.build.outputTimestamp} pins the entries' times; the compiler and the jar plugin order them).
 */
class ReproducibleBuildIT {
    static final Path ROOT = Path.of(System.getProperty("converge.root", "..")).toAbsolutePath().normalize();

    @TempDir
    Path work;

    @Test
    void aSecondBuildOfTheSameSourcesGivesTheSameJar() throws Exception {
        String version = OciImage.versions().get("CONVERGE_VERSION");
        Path reactorJar = ROOT.resolve("contracts/target/converge-contracts-" + version + ".jar");
        assumeTrue(Files.isRegularFile(reactorJar), "the reactor has not packaged contracts (run ./mvnw package)");
        // The parent POM and the module's own files, nothing the first build left behind.
        Files.copy(ROOT.resolve("pom.xml"), work.resolve("pom.xml"));
        copy(ROOT.resolve("contracts/pom.xml"), work.resolve("contracts/pom.xml"));
        for (String dir : List.of("contracts/src", ".mvn")) {
            try (var files = Files.walk(ROOT.resolve(dir))) {
                for (Path f : files.filter(Files::isRegularFile).toList()) {
                    copy(f, work.resolve(ROOT.relativize(f)));
                }
            }
        }
        Process p = new ProcessBuilder(List.of(ROOT.resolve("mvnw").toString(), "-o", "-q", "-B", "-f",
                work.resolve("contracts/pom.xml").toString(), "package", "-DskipTests"))
                .directory(work.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(300, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        Path again = work.resolve("contracts/target/converge-contracts-" + version + ".jar");
        assertThat(sha256(again)).as("sha256 of the second build's jar").isEqualTo(sha256(reactorJar));
    }

    private static void copy(Path from, Path to) throws Exception {
        Files.createDirectories(to.getParent());
        Files.copy(from, to);
    }

    private static String sha256(Path f) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(f)));
    }
}
