package dev.converge.train;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import water.fvec.Frame;

/** Forms a real 2-node H2O cloud on loopback over a flatfile (one node in a child JVM) and trains one task on it. */
class TwoNodeCloudIT {
    @Test
    void twoNodesFormACloudAndTrainATaskTogether(@TempDir Path work) throws Exception {
        Path flatfile = work.resolve("flatfile");
        // Free pairs, not fixed ports: these lie in the ephemeral range, where outgoing connections may hold them.
        int a = H2oCloud.freePortPair("127.0.0.1", 54460);
        int b = H2oCloud.freePortPair("127.0.0.1", a + 10);
        Files.writeString(flatfile, "127.0.0.1:" + a + "\n127.0.0.1:" + b + "\n"); // the nodes' -port values
        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx768m",
                "--add-opens", "java.base/java.lang=ALL-UNNAMED",
                "-Dsys.ai.h2o.debug.allowJavaVersions=" + Runtime.version().feature(),
                "-cp", System.getProperty("java.class.path"), H2oNodeMain.class.getName(),
                "converge-it", "127.0.0.1", Integer.toString(b), flatfile.toString(), "2", work.resolve("b").toString(), "300");
        Process other = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(work.resolve("node-b.log").toFile()).start();
        try {
            long t0 = System.nanoTime();
            H2oCloud.start(new H2oCloud.Config("converge-it", "127.0.0.1", a, flatfile, 2, work.resolve("a"), -1,
                    Duration.ofSeconds(90)));
            double formSeconds = (System.nanoTime() - t0) / 1e9;

            assertThat(H2oCloud.size()).isEqualTo(2);
            TrainingTable table = TrainingTable.fromPit(SyntheticData.rows(4000, 3), SyntheticData.SCHEMA, "label",
                    List.of(), null);
            int[] all = table.allRows();
            Frame train = table.toFrame(java.util.Arrays.copyOfRange(all, 0, 3200), "two_train");
            Frame test = table.toFrame(java.util.Arrays.copyOfRange(all, 3200, 4000), "two_test");
            // The chunks spread over both nodes' memory: their keys' home nodes are the two members.
            water.fvec.Vec vec = train.anyVec();
            java.util.Set<String> homes = new java.util.TreeSet<>();
            for (int i = 0; i < vec.nChunks(); i++) {
                homes.add(String.valueOf(vec.chunkKey(i).home_node()));
            }
            assertThat(homes).as("home nodes of the training frame's %d chunks", vec.nChunks()).hasSize(2);

            Trainer.Trained t = Trainer.train(new TaskConfig("gbm", Map.of("ntrees", 20, "max_depth", 3), null),
                    train, test, "label");

            assertThat((Double) t.metrics().get("auc")).isGreaterThan(0.8);
            System.out.printf("2-node cloud formed in %.1f s%n", formSeconds);
        } finally {
            // Not destroyed: H2O in this JVM would see a member of its locked cloud vanish and exit with 255 before
            // the test JVM ends. The other node halts when this JVM exits and closes its stdin.
        }
    }
}
