package dev.converge.serve;

import static org.assertj.core.api.Assertions.assertThat;

import dev.converge.serve.config.Resilience;
import dev.converge.serve.config.ServeConfig;
import dev.converge.testkit.TestServices;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The prediction cache on a three-node Redis Cluster the test starts on loopback (issue 14): serve.redis_url lists
 * the seed nodes; answers are cached and found again, the keys spread over the three nodes' slots. A master killed
 * under load (no replica: its slots are lost, and the cluster stops serving) costs no request a 5xx: answers are
 * computed and marked degraded; once the node is back, the cache is used again.
 */
class RedisClusterIT {
    @TempDir
    Path work;

    @Test
    void theCacheWorksOnAClusterAndANodeKilledUnderLoadCostsNoFailedRequest() throws Exception {
        int[] ports = {freePort(), freePort(), freePort()};
        List<Process> nodes = new ArrayList<>();
        Vertx vertx = Vertx.vertx();
        try (ServeFixture fixture = new ServeFixture(work)) {
            for (int p : ports) {
                nodes.add(TestServices.startRedis(p, work, List.of("--cluster-enabled", "yes",
                        "--cluster-config-file", "nodes-" + p + ".conf", "--cluster-node-timeout", "2000")));
            }
            formCluster(ports);
            String urls = "redis://127.0.0.1:" + ports[0] + ",redis://127.0.0.1:" + ports[1] + ",redis://127.0.0.1:"
                    + ports[2];
            ServeConfig config = ServeConfig.builder().port(0).eventLoops(1).scoringWorkers(2)
                    .inlineScoringMaxMicros(50).pgPoolSize(4)
                    .resilience(Resilience.builder().redisUrl(urls).breakerOpenSeconds(1).cacheAlways(true).build())
                    .build();
            PredictionServer server = PredictionServer.start(config, fixture.db.endpoint(), null).toCompletionStage()
                    .toCompletableFuture().get(30, TimeUnit.SECONDS);
            try {
                ServeFixture.awaitModel(server);
                WebClient http = WebClient.create(vertx);
                JsonObject row = new JsonObject(new HashMap<>(server.activeModel().referenceRows().get(0)));
                List<JsonObject> bodies = new ArrayList<>();
                for (int i = 0; i < 300; i++) { // 300 distinct rows: 300 keys
                    bodies.add(new JsonObject().put("features", row.copy().put("annual_inc", 40_000.0 + i)));
                }
                List<HttpResponse<Buffer>> first = send(http, server.port(), bodies);
                assertThat(first).allMatch(r -> r.statusCode() == 200);
                assertThat(first).noneMatch(r -> r.bodyAsJsonObject().getBoolean("degraded"));
                Thread.sleep(500); // the answers are stored after they are sent
                List<HttpResponse<Buffer>> second = send(http, server.port(), bodies);
                long hits = second.stream().filter(r -> r.bodyAsJsonObject().getBoolean("cached")).count();
                assertThat(hits).as("found again in the cluster").isGreaterThanOrEqualTo(290);
                for (int p : ports) {
                    assertThat(Long.parseLong(command(p, "DBSIZE"))).as("keys on the node at " + p).isGreaterThan(50);
                }

                nodes.get(2).destroyForcibly().waitFor(5, TimeUnit.SECONDS); // a node dies under load
                List<HttpResponse<Buffer>> during = new ArrayList<>();
                for (int round = 0; round < 5; round++) {
                    during.addAll(send(http, server.port(), bodies));
                }
                assertThat(during).as("no failed request").allMatch(r -> r.statusCode() == 200);
                assertThat(during).as("the cache's failure is said, not hidden")
                        .anyMatch(r -> r.bodyAsJsonObject().getBoolean("degraded"));

                // The node comes back (its nodes-<port>.conf keeps its slots): the cache is used again.
                nodes.set(2, TestServices.startRedis(ports[2], work, List.of("--cluster-enabled", "yes",
                        "--cluster-config-file", "nodes-" + ports[2] + ".conf", "--cluster-node-timeout", "2000")));
                long deadline = System.currentTimeMillis() + 30_000;
                long hitsAfter = 0;
                while (hitsAfter < 250 && System.currentTimeMillis() < deadline) {
                    Thread.sleep(500);
                    hitsAfter = send(http, server.port(), bodies).stream()
                            .filter(r -> r.bodyAsJsonObject().getBoolean("cached")).count();
                }
                assertThat(hitsAfter).as("cache hits again once the node is back").isGreaterThanOrEqualTo(250);
            } finally {
                server.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            }
        } finally {
            nodes.forEach(Process::destroyForcibly);
            vertx.close();
        }
    }

    static List<HttpResponse<Buffer>> send(WebClient http, int port, List<JsonObject> bodies) throws Exception {
        List<HttpResponse<Buffer>> out = new ArrayList<>();
        for (int from = 0; from < bodies.size(); from += 20) {
            List<Future<HttpResponse<Buffer>>> wave = new ArrayList<>();
            for (JsonObject b : bodies.subList(from, Math.min(bodies.size(), from + 20))) {
                wave.add(http.post(port, "127.0.0.1", "/v1/predict").sendJsonObject(b));
            }
            for (Future<HttpResponse<Buffer>> f : wave) {
                out.add(f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS));
            }
        }
        return out;
    }

    /** Slots split in three, the nodes introduced to each other, then waits for cluster_state:ok on all. */
    static void formCluster(int[] ports) throws Exception {
        int per = 16384 / ports.length;
        for (int n = 0; n < ports.length; n++) {
            int from = n * per;
            int to = n == ports.length - 1 ? 16383 : from + per - 1;
            List<String> args = new ArrayList<>(List.of("CLUSTER", "ADDSLOTS"));
            for (int slot = from; slot <= to; slot++) {
                args.add(Integer.toString(slot));
            }
            assertThat(command(ports[n], args.toArray(String[]::new))).isEqualTo("OK");
        }
        for (int n = 1; n < ports.length; n++) {
            assertThat(command(ports[0], "CLUSTER", "MEET", "127.0.0.1", Integer.toString(ports[n]))).isEqualTo("OK");
        }
        long deadline = System.currentTimeMillis() + 20_000;
        for (int p : ports) {
            while (!command(p, "CLUSTER", "INFO").contains("cluster_state:ok")
                    && System.currentTimeMillis() < deadline) {
                Thread.sleep(100);
            }
            assertThat(command(p, "CLUSTER", "INFO")).contains("cluster_state:ok");
        }
    }

    /** One command over RESP; a simple, integer or bulk reply as text. */
    static String command(int port, String... args) throws Exception {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(5000);
            StringBuilder req = new StringBuilder("*").append(args.length).append("\r\n");
            for (String a : args) {
                req.append('$').append(a.getBytes(StandardCharsets.UTF_8).length).append("\r\n").append(a)
                        .append("\r\n");
            }
            OutputStream out = s.getOutputStream();
            out.write(req.toString().getBytes(StandardCharsets.UTF_8));
            out.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
            String line = in.readLine();
            if (line.startsWith("$")) {
                int n = Integer.parseInt(line.substring(1));
                char[] body = new char[Math.max(0, n)];
                int read = 0;
                while (read < n) {
                    read += in.read(body, read, n - read);
                }
                return new String(body);
            }
            return line.substring(1);
        }
    }

    static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
