package dev.converge.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.converge.train.H2oCloud;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The training image (cli/pom.xml: the whole CLI with H2O, on the serving image's recipe): what it declares and holds,
 * and that it runs: `converge migrate` migrates a store from inside it, and `converge h2o-node` starts H2O there and
 * reports a formed cloud of one on its readiness probe (what the StatefulSet's pods run).
 */
class TrainImageIT {
    static final Path TAR = OciImage.ROOT.resolve("cli/target/converge-train-image.tar");

    @TempDir
    static Path work;
    static OciImage image;
    static Map<String, String> versions;

    @BeforeAll
    static void unpack() throws Exception {
        image = OciImage.built(TAR, "cli's process-test-classes phase makes the training image; run ./mvnw -pl cli"
                + " -am process-test-classes", work);
        versions = OciImage.versions();
    }

    @Test
    void theImageCarriesTheWholeCliAtThePinnedH2oVersion() throws Exception {
        assertThat(image.refName).isEqualTo("converge/converge-train:" + versions.get("CONVERGE_VERSION"));
        assertThat(image.compressedBytes()).as("the seeds' bound for an image").isLessThan(500L << 20);
        JsonNode c = image.config.get("config");
        assertThat(c.get("Entrypoint").toString()).contains("/opt/java/bin/java", "dev.converge.cli.Main");
        assertThat(c.get("User").asText()).isEqualTo("10001:10001");
        JsonNode labels = c.get("Labels");
        assertThat(labels.get("org.opencontainers.image.version").asText()).isEqualTo(versions.get("CONVERGE_VERSION"));
        assertThat(labels.get("dev.converge.h2o-version").asText()).isEqualTo(versions.get("H2O_VERSION"));
        String head = OciImage.git("rev-parse", "HEAD");
        if (head != null) {
            assertThat(labels.get("org.opencontainers.image.revision").asText()).isEqualTo(head);
        }
        String h2o = versions.get("H2O_VERSION");
        assertThat(image.libs()).contains("h2o-core-" + h2o + ".jar", "h2o-algos-" + h2o + ".jar",
                "h2o-automl-" + h2o + ".jar", "h2o-genmodel-" + h2o + ".jar")
                .noneMatch(f -> f.startsWith("h2o-") && f.endsWith(".jar") && !f.contains(h2o)
                        && !f.startsWith("h2o-tree-api")); // (its own artifact, versioned apart)
        // XGBoost's native code loads: what it links against is in the image.
        assertThat(image.files).anyMatch(f -> f.endsWith("libpthread.so.0")).anyMatch(f -> f.endsWith("libstdc++.so.6"));
        assertThat(Files.readString(OciImage.ROOT.resolve("deploy/k8s/training/kustomization.yaml")))
                .contains("newName: converge/converge-train", "newTag: " + versions.get("CONVERGE_VERSION"));
    }

    @Test
    void theImageMigratesAStoreAndRunsAnH2oNodeThatFormsItsCloud() throws Exception {
        assumeTrue(OciImage.canRun(), "running the image's root file system needs root (chroot, a mount namespace)");
        Path rootfs = image.rootfs(work.resolve("rootfs"));
        TestSchema schema = new TestSchema("ti_").create();
        Process node = null;
        try {
            Process migrate = image.command(rootfs, List.of("migrate"), Map.of("CONVERGE_DATABASE_URL", schema.url,
                    "JDK_JAVA_OPTIONS", "-Xmx256m")).start();
            String out = new String(migrate.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(migrate.waitFor(120, TimeUnit.SECONDS)).isTrue();
            assertThat(migrate.exitValue()).as(out).isZero();
            try (var c = java.sql.DriverManager.getConnection(schema.url); var rs = c.createStatement()
                    .executeQuery("SELECT count(*) FROM flyway_schema_history WHERE success")) {
                rs.next();
                assertThat(rs.getInt(1)).as(out).isGreaterThanOrEqualTo(dev.converge.registry.SchemaVersion.LATEST);
            }

            int h2oPort = H2oCloud.freePortPair("127.0.0.1", 54900);
            int probe;
            try (ServerSocket s = new ServerSocket(0)) {
                probe = s.getLocalPort();
            }
            node = image.command(rootfs, List.of("h2o-node", "--probe-host", "127.0.0.1", "--probe-port",
                    Integer.toString(probe)), Map.of("CONVERGE_H2O_PORT", Integer.toString(h2oPort),
                    "CONVERGE_H2O_NAME", "image-node", "CONVERGE_H2O_WORK_DIR", "/tmp/h2o",
                    "JDK_JAVA_OPTIONS", "-Xmx512m")).redirectOutput(work.resolve("node.log").toFile()).start();
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
            HttpResponse<String> ready = null;
            while (System.nanoTime() < deadline && node.isAlive()) {
                try {
                    ready = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + probe + "/health/ready"))
                            .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
                    if (ready.statusCode() == 200) {
                        break;
                    }
                } catch (java.io.IOException notYet) {
                    // not listening yet
                }
                Thread.sleep(200);
            }
            assertThat(ready).as("the node's output:\n" + Files.readString(work.resolve("node.log"))).isNotNull();
            assertThat(ready.statusCode()).as(ready.body() + "\n" + Files.readString(work.resolve("node.log")))
                    .isEqualTo(200);
            JsonNode cloud = OciImage.JSON.readTree(ready.body());
            assertThat(cloud.get("cloud_size").asInt()).isEqualTo(1);
            assertThat(cloud.get("consensus").asBoolean()).isTrue();
        } finally {
            if (node != null) {
                OciImage.stop(node);
            }
            schema.drop();
        }
    }
}
