package dev.converge.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.converge.train.H2oCloud;
import dev.converge.train.H2oNodeMain;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node of a two-node H2O cloud killed while `converge train` runs a sweep on it (the driver in its training JVM,
 * the other node in a JVM of its own, both on loopback over a flatfile): H2O cannot recover a cloud that lost a
 * member, and work on the lost node's chunks would wait for it forever, so the run must end on its own, non-zero,
 * saying which node, with the sweep's tasks recorded as failed with that reason and nothing registered. The next run,
 * on a re-formed cloud (a new node on the same flatfile), trains and registers as usual.
 */
class CloudNodeLossIT {
    static TestSchema schema;

    @TempDir
    static Path work;

    @BeforeAll
    static void store() throws Exception {
        schema = ConvergeProcesses.lendingClub("nl_");
    }

    @AfterAll
    static void drop() throws Exception {
        schema.drop();
    }

    @Test
    void aNodeLostMidSweepFailsTheRunCleanlyAndTheNextRunOnAReformedCloudTrains() throws Exception {
        int driver = H2oCloud.freePortPair("127.0.0.1", 54600);
        int node = H2oCloud.freePortPair("127.0.0.1", driver + 10);
        Path flatfile = work.resolve("flatfile");
        Files.writeString(flatfile, "127.0.0.1:" + driver + "\n127.0.0.1:" + node + "\n");
        Path config = work.resolve("cloud.properties");
        Files.writeString(config, "h2o.name=converge-loss\nh2o.flatfile=" + flatfile + "\nh2o.cloud_size=2\nh2o.port="
                + driver + "\nh2o.form_timeout_secs=90\ndatabase.url=" + schema.url + "\n");
        Path heavy = work.resolve("heavy.yaml");
        Files.writeString(heavy, """
                name: node_loss
                model: node_loss_model
                blocks:
                  - {id: load, type: pit_loader, label: Class}
                  - {id: table, type: to_table}
                  - {id: split, type: random_split, ratio: 0.8, seed: 42}
                  - id: sweep
                    type: fan_out
                    parallelism: 1
                    timeout_secs: 600
                    matrix:
                      - algorithm: gbm
                        grid: {max_depth: [10, 9, 8]}
                        params: {ntrees: 1000, learn_rate: 0.01, min_rows: 1, seed: 1}
                  - {id: best, type: best_run, metric: auc}
                  - {id: export, type: export, artifacts: %s, auto_promote: {margin: 0.0}}
                """.formatted(work.resolve("artifacts")));

        Process other = startNode(node, flatfile, work.resolve("node-1"));
        Process train = null;
        try {
            train = ConvergeProcesses.converge(Map.of(), null, "train", "--pipeline", heavy.toString(),
                    "--config", config.toString());
            List<String> out = new ArrayList<>();
            BufferedReader lines = new BufferedReader(new InputStreamReader(train.getInputStream(),
                    StandardCharsets.UTF_8));
            String line;
            while ((line = lines.readLine()) != null) {
                out.add(line);
                if (line.contains("governor:")) {
                    break; // the sweep's tasks are starting on the cloud of two
                }
            }
            assertThat(String.join("\n", out)).contains("H2O cloud of 2 node(s)");
            Thread.sleep(3000);
            long killed = System.nanoTime();
            other.destroyForcibly().waitFor();
            CompletableFuture<String> rest = CompletableFuture.supplyAsync(() -> {
                StringBuilder sb = new StringBuilder();
                lines.lines().forEach(l -> sb.append(l).append('\n'));
                return sb.toString();
            });
            assertThat(train.waitFor(90, TimeUnit.SECONDS)).as("the run ends on its own after the node is lost")
                    .isTrue();
            double ended = (System.nanoTime() - killed) / 1e9;
            String all = String.join("\n", out) + "\n" + rest.get(10, TimeUnit.SECONDS);
            assertThat(train.exitValue()).as(all).isNotZero();
            assertThat(all).contains("left the cloud", "127.0.0.1:" + node, "Re-form the cloud");

            try (Connection c = DriverManager.getConnection(schema.url);
                 ResultSet rs = c.createStatement().executeQuery("SELECT task_index, status, error FROM training_runs"
                         + " ORDER BY task_index")) {
                int rows = 0;
                while (rs.next()) {
                    rows++;
                    assertThat(rs.getString(2)).isEqualTo("failed");
                    assertThat(rs.getString(3)).contains("127.0.0.1:" + node, "left the cloud");
                }
                assertThat(rows).as("every task of the sweep recorded").isEqualTo(3);
                ResultSet models = c.createStatement().executeQuery(
                        "SELECT count(*) FROM model_versions WHERE name = 'node_loss_model'");
                models.next();
                assertThat(models.getInt(1)).as("nothing registered").isZero();
            }
            System.out.printf("node lost: the run ended %.1f s after the kill%n", ended);
        } finally {
            ConvergeProcesses.stop(train);
            ConvergeProcesses.stop(other);
        }

        // The cloud re-formed: a new node on the same flatfile, a new training JVM.
        Path light = work.resolve("light.yaml");
        Files.writeString(light, Files.readString(heavy).replace("grid: {max_depth: [10, 9, 8]}", "grid: {max_depth: [3]}")
                .replace("ntrees: 1000, learn_rate: 0.01", "ntrees: 20, learn_rate: 0.1"));
        Process again = startNode(node, flatfile, work.resolve("node-2"));
        Process retrain = null;
        try {
            retrain = ConvergeProcesses.converge(Map.of(), null, "train", "--pipeline", light.toString(),
                    "--config", config.toString());
            String out = new String(retrain.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(retrain.waitFor(180, TimeUnit.SECONDS)).isTrue();
            assertThat(retrain.exitValue()).as(out).isZero();
            assertThat(out).contains("H2O cloud of 2 node(s)", "Registered the sweep's best: node_loss_model v1");
        } finally {
            ConvergeProcesses.stop(retrain);
            ConvergeProcesses.stop(again);
        }
    }

    private static Process startNode(int port, Path flatfile, Path dir) throws Exception {
        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx768m",
                "--add-opens", "java.base/java.lang=ALL-UNNAMED",
                "-Dsys.ai.h2o.debug.allowJavaVersions=" + Runtime.version().feature(),
                "-cp", System.getProperty("java.class.path"), H2oNodeMain.class.getName(),
                "converge-loss", "127.0.0.1", Integer.toString(port), flatfile.toString(), "2", dir.toString(), "600");
        Files.createDirectories(dir);
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("node.log").toFile())
                .start();
    }
}
