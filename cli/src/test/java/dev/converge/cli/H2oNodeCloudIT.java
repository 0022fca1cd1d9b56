package dev.converge.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The long-lived training cloud of the Kubernetes StatefulSet, on loopback: two `converge h2o-node` processes form a
 * cloud over a flatfile; each is ready (its probe's /health/ready) only once the cloud has both nodes in consensus;
 * `converge train` joins it as a client (h2o.role=client), holding no data, sizes its fan-out from the nodes' free
 * memory and registers a champion; a node killed makes the other one not live, so that Kubernetes restarts it and the
 * cloud re-forms (H2O cannot heal a cloud that lost a member).
 */
class H2oNodeCloudIT {
    static final ObjectMapper JSON = new ObjectMapper();
    static TestSchema schema;

    @TempDir
    static Path work;

    @BeforeAll
    static void store() throws Exception {
        schema = ConvergeProcesses.lendingClub("hn_");
    }

    @AfterAll
    static void drop() throws Exception {
        schema.drop();
    }

    @Test
    void nodesFormACloudThatTrainingJoinsAsAClientAndALostNodeMakesThemNotLive() throws Exception {
        int a = H2oCloud.freePortPair("127.0.0.1", 54800);
        int b = H2oCloud.freePortPair("127.0.0.1", a + 10);
        int client = H2oCloud.freePortPair("127.0.0.1", b + 10);
        Path flatfile = work.resolve("flatfile");
        Files.writeString(flatfile, "127.0.0.1:" + a + "\n127.0.0.1:" + b + "\n");
        Path nodes = work.resolve("nodes.properties");
        Files.writeString(nodes, "h2o.name=converge-nodes\nh2o.flatfile=" + flatfile + "\nh2o.cloud_size=2\n"
                + "h2o.form_timeout_secs=120\n");
        int probeA = freePort();
        int probeB = freePort();
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        List<Process> started = new ArrayList<>();
        try {
            Process nodeA = node(a, probeA, nodes, "a", started);
            JsonNode alone = awaitProbe(http, probeA, "/health/live", 200, Duration.ofSeconds(60));
            HttpResponse<String> notYet = get(http, probeA, "/health/ready");
            assertThat(notYet.statusCode()).as("one node of two: not ready " + notYet.body()).isEqualTo(503);
            assertThat(alone.get("expected").asInt()).isEqualTo(2);

            node(b, probeB, nodes, "b", started);
            JsonNode readyA = awaitProbe(http, probeA, "/health/ready", 200, Duration.ofSeconds(90));
            JsonNode readyB = awaitProbe(http, probeB, "/health/ready", 200, Duration.ofSeconds(30));
            for (JsonNode c : List.of(readyA, readyB)) {
                assertThat(c.get("cloud_size").asInt()).isEqualTo(2);
                assertThat(c.get("consensus").asBoolean()).isTrue();
                assertThat(c.get("nodes")).hasSize(2);
            }

            Path pipeline = work.resolve("light.yaml");
            Files.writeString(pipeline, """
                    name: on_nodes
                    model: on_nodes_model
                    blocks:
                      - {id: load, type: pit_loader, label: Class}
                      - {id: table, type: to_table}
                      - {id: split, type: random_split, ratio: 0.8, seed: 42}
                      - id: sweep
                        type: fan_out
                        parallelism: 2
                        matrix:
                          - {algorithm: glm, params: {}}
                          - {algorithm: gbm, params: {ntrees: 20, max_depth: 3, seed: 1}}
                      - {id: best, type: best_run, metric: auc}
                      - {id: export, type: export, artifacts: %s, auto_promote: {margin: 0.0}}
                    """.formatted(work.resolve("artifacts")));
            Path clientConfig = work.resolve("client.properties");
            Files.writeString(clientConfig, "h2o.name=converge-nodes\nh2o.flatfile=" + flatfile + "\nh2o.cloud_size=2\n"
                    + "h2o.role=client\nh2o.port=" + client + "\ndatabase.url=" + schema.url + "\n");
            Process train = ConvergeProcesses.converge(Map.of(), work.resolve("train.log"), "train", "--pipeline", pipeline.toString(),
                    "--config", clientConfig.toString());
            started.add(train);
            assertThat(train.waitFor(300, TimeUnit.SECONDS)).isTrue();
            String out = Files.readString(work.resolve("train.log"));
            assertThat(train.exitValue()).as(out).isZero();
            assertThat(out).contains("H2O cloud of 2 node(s)", "a client of it", "sized from the cloud's 2 nodes",
                    "Registered the sweep's best: on_nodes_model v1");

            nodeA.destroyForcibly().waitFor();
            JsonNode dead = awaitProbe(http, probeB, "/health/live", 503, Duration.ofSeconds(40));
            assertThat(dead.get("silent_member").asText()).contains("127.0.0.1:" + a);
            assertThat(get(http, probeB, "/health/ready").statusCode()).isEqualTo(503);
        } finally {
            for (Process p : started) {
                ConvergeProcesses.stop(p);
            }
        }
    }

    private static Process node(int port, int probe, Path config, String name, List<Process> started)
            throws Exception {
        Path dir = Files.createDirectories(work.resolve("node-" + name));
        Process p = ConvergeProcesses.converge(Map.of("CONVERGE_H2O_PORT", Integer.toString(port),
                        "CONVERGE_H2O_WORK_DIR", dir.toString()), dir.resolve("node.log"), "h2o-node", "--config",
                config.toString(), "--probe-host", "127.0.0.1", "--probe-port", Integer.toString(probe),
                "--lost-member-secs", "5");
        started.add(p);
        return p;
    }

    private static JsonNode awaitProbe(HttpClient http, int port, String path, int status, Duration timeout)
            throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        String last = "no answer";
        while (System.nanoTime() < deadline) {
            try {
                HttpResponse<String> r = get(http, port, path);
                last = r.statusCode() + " " + r.body();
                if (r.statusCode() == status) {
                    return JSON.readTree(r.body());
                }
            } catch (java.io.IOException notYet) {
                // not listening yet
            }
            Thread.sleep(200);
        }
        throw new AssertionError(path + " on port " + port + " did not answer " + status + " within " + timeout
                + "; last: " + last + "\nnode logs:\n" + logs());
    }

    private static String logs() throws Exception {
        StringBuilder sb = new StringBuilder();
        for (String n : List.of("a", "b")) {
            Path f = work.resolve("node-" + n).resolve("node.log");
            if (Files.exists(f)) {
                sb.append("--- ").append(n).append('\n').append(Files.readString(f, StandardCharsets.UTF_8));
            }
        }
        return sb.toString();
    }

    private static HttpResponse<String> get(HttpClient http, int port, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
