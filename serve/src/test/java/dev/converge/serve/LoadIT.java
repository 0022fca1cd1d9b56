package dev.converge.serve;

import dev.converge.serve.config.ClientSettings;
import dev.converge.serve.config.PredictionLogSettings;
import static org.assertj.core.api.Assertions.assertThat;

import dev.converge.serve.config.Resilience;
import dev.converge.serve.config.ServeConfig;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Load alone must not look like a failing dependency: requests that queue for our own pool or our own event loop
 * are admission's business (answered, or shed with 503), never counted against a breaker, never degraded.
 */
class LoadIT {
    @TempDir
    static Path work;
    static ServeFixture fixture;

    @BeforeAll
    static void setUp() throws Exception {
        fixture = new ServeFixture(work);
    }

    @AfterAll
    static void tearDown() throws Exception {
        fixture.close();
    }

    @Test
    void aQueueForTheFeatureStoresPoolNeverOpensThePostgresBreaker() throws Exception {
        // One pooled connection, 50 ms per-query timeout: 400 entity requests at once queue for that connection
        // far longer than 50 ms. The queue is ours, not PostgreSQL's. The prediction log is off: its inserts share
        // this machine's two cores with PostgreSQL and can make a fetch really exceed 50 ms, which is PostgreSQL's
        // latency (counted, rightly) and not what this test is about.
        ServeConfig onePooled = ServeConfig.builder().port(0).eventLoops(2).scoringWorkers(2).inlineScoringMaxMicros(50)
                .batchMaxRows(100).bodyLimitBytes(64 * 1024).pgPoolSize(1)
                .resilience(Resilience.builder().redisUrl("none").breakerOpenSeconds(60).shedDelayMillis(0).build())
                .predictionLog(PredictionLogSettings.OFF).build();
        try (Running running = Running.start(onePooled, 400)) {
            PredictionServer server = running.server();
            WebClient client = running.client();
            Map<String, Integer> seen = new TreeMap<>();

            for (int round = 0; round < 3; round++) {
                List<CompletableFuture<HttpResponse<Buffer>>> all = new ArrayList<>();
                for (int i = 0; i < 400; i++) {
                    all.add(client.post("/v1/predict").sendBuffer(Buffer.buffer("{\"entity_id\": \"" + (1 + i)
                            + "\"}")).toCompletionStage().toCompletableFuture());
                }
                for (var f : all) {
                    HttpResponse<Buffer> r = f.get(60, TimeUnit.SECONDS);
                    JsonObject body = r.bodyAsJsonObject();
                    String outcome = r.statusCode() == 200 ? (body.getBoolean("degraded") ? "200 degraded: "
                            + body.getString("degraded_reason") : "200") : r.statusCode() + " " + body.getString("message");
                    // A 503 for our own overload (the pool, a late loop, saturation) is admission's answer: fine.
                    seen.merge(r.statusCode() == 503 && "overloaded".equals(body.getString("error"))
                            ? "503 overloaded" : outcome, 1, Integer::sum);
                }
            }

            assertThat(server.metrics().get("converge.breaker.state").tag("dependency", "postgresql").gauge().value())
                    .as("the breaker stayed closed: %s", seen).isZero();
            assertThat(seen.keySet()).as("every answer a real prediction or a shed for our own overload")
                    .isSubsetOf("200", "503 overloaded");
            assertThat(seen.get("200")).isPositive();
            HttpResponse<Buffer> after = client.post("/v1/predict").sendBuffer(Buffer.buffer("{\"entity_id\": \"7\"}"))
                    .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            assertThat(after.statusCode()).isEqualTo(200);
            assertThat(after.bodyAsJsonObject().getBoolean("degraded")).isFalse();
        }
    }

    @Test
    void refusalsForOverloadArePacedSoClientsThatRetryAtOnceCannotStarveTheServer() throws Exception {
        ServeConfig oneInFlight = ServeConfig.builder().port(0).eventLoops(1).scoringWorkers(1)
                .inlineScoringMaxMicros(50).batchMaxRows(100).bodyLimitBytes(64 * 1024).pgPoolSize(4)
                .resilience(Resilience.builder().redisUrl("none").breakerOpenSeconds(60).maxInFlight(1)
                        .shedDelayMillis(300).build())
                .build();
        try (Running running = Running.start(oneInFlight, 50)) {
            PredictionServer server = running.server();
            WebClient client = running.client();
            List<CompletableFuture<HttpResponse<Buffer>>> all = new ArrayList<>();
            List<Long> sent = new ArrayList<>();
            List<Long> answered = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                sent.add(System.nanoTime());
                int k = i;
                answered.add(0L);
                all.add(client.post("/v1/predict").sendBuffer(Buffer.buffer("{\"entity_id\": \"" + (1 + i) + "\"}"))
                        .andThen(ar -> answered.set(k, System.nanoTime())).toCompletionStage().toCompletableFuture());
            }
            int shed = 0;
            for (int i = 0; i < all.size(); i++) {
                HttpResponse<Buffer> r = all.get(i).get(30, TimeUnit.SECONDS);
                if (r.statusCode() == 503) {
                    shed++;
                    assertThat(r.getHeader("Retry-After")).isEqualTo("1");
                    assertThat((answered.get(i) - sent.get(i)) / 1_000_000)
                            .as("held at least half the 300 ms delay (a random share of the rest) before it is answered")
                            .isGreaterThanOrEqualTo(145);
                } else {
                    assertThat(r.statusCode()).isEqualTo(200);
                }
            }
            assertThat(shed).as("one in flight: most of 50 concurrent requests are refused").isGreaterThan(25);
        }
    }

    @Test
    void stalledClientsHoldNoSlotAndAreCutOff() throws Exception {
        // Two requests in flight at most. 40 clients send their headers and half a body, then stall; one more trickles
        // its headers a byte at a time. Complete requests must still be answered, and the stalled ones cut off.
        ServeConfig tight = ServeConfig.builder().port(0).eventLoops(1).scoringWorkers(1).inlineScoringMaxMicros(50)
                .batchMaxRows(100).bodyLimitBytes(64 * 1024).pgPoolSize(4)
                .resilience(Resilience.builder().redisUrl("none").breakerOpenSeconds(60).maxInFlight(2)
                        .shedDelayMillis(0).build())
                .clients(new ClientSettings(1_500, 1_000, 1 << 20)).build();
        try (Running running = Running.start(tight, 4)) {
            int port = running.server().port();
            String body = "{\"entity_id\": \"5\"}";
            List<java.net.Socket> stalled = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                java.net.Socket s = new java.net.Socket("127.0.0.1", port);
                s.getOutputStream().write(("POST /v1/predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                        + "Content-Length: " + body.length() + "\r\n\r\n" + body.substring(0, 8))
                        .getBytes(java.nio.charset.StandardCharsets.UTF_8));
                s.getOutputStream().flush();
                stalled.add(s);
            }
            java.net.Socket trickle = new java.net.Socket("127.0.0.1", port);
            long t0 = System.nanoTime();

            for (int i = 0; i < 20; i++) {
                HttpResponse<Buffer> r = running.client().post("/v1/predict").sendBuffer(Buffer.buffer(body))
                        .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
                assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
                if (i < 8) { // a header byte every 150 ms: never idle, never complete
                    trickle.getOutputStream().write("POST /v1/p".charAt(i));
                    trickle.getOutputStream().flush();
                    Thread.sleep(150);
                }
            }
            for (java.net.Socket s : stalled) {
                s.setSoTimeout(5_000);
                String answer = new String(s.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
                assertThat(answer).as("answered 408 and closed").startsWith("HTTP/1.1 408").contains("request_timeout");
            }
            trickle.setSoTimeout(5_000);
            for (int i = 8; i < 40; i++) {
                try {
                    trickle.getOutputStream().write('x');
                    trickle.getOutputStream().flush();
                    Thread.sleep(150);
                } catch (java.io.IOException closed) {
                    break;
                }
            }
            assertThat(trickle.getInputStream().read()).as("the trickling connection was closed").isEqualTo(-1);
            assertThat((System.nanoTime() - t0) / 1e9).isLessThan(8.0);
            for (java.net.Socket s : stalled) {
                s.close();
            }
            trickle.close();
        }
    }

    @Test
    void bodiesBeingReceivedHoldABoundedBuffer() throws Exception {
        // Room for two 64 KiB bodies: a third client declaring a large body is refused before a byte is read,
        // and once the stalled ones time out, requests are answered again.
        ServeConfig tight = ServeConfig.builder().port(0).eventLoops(1).scoringWorkers(1).inlineScoringMaxMicros(50)
                .batchMaxRows(100).bodyLimitBytes(64 * 1024).pgPoolSize(4)
                .resilience(Resilience.builder().redisUrl("none").breakerOpenSeconds(60).shedDelayMillis(0).build())
                .clients(new ClientSettings(30_000, 800, 128 * 1024)).build();
        try (Running running = Running.start(tight, 4)) {
            int port = running.server().port();
            List<java.net.Socket> stalled = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                java.net.Socket s = new java.net.Socket("127.0.0.1", port);
                s.getOutputStream().write(("POST /v1/predict HTTP/1.1\r\nHost: x\r\nContent-Length: 65536\r\n\r\n{")
                        .getBytes(java.nio.charset.StandardCharsets.UTF_8));
                stalled.add(s);
            }
            Thread.sleep(100);
            HttpResponse<Buffer> refused = running.client().post("/v1/predict")
                    .sendBuffer(Buffer.buffer("{\"entity_id\": \"5\"}")).toCompletionStage().toCompletableFuture()
                    .get(10, TimeUnit.SECONDS);
            assertThat(refused.statusCode()).isEqualTo(503);
            assertThat(refused.bodyAsJsonObject().getString("message")).contains("request bodies being received");
            Thread.sleep(1_200);
            HttpResponse<Buffer> ok = running.client().post("/v1/predict")
                    .sendBuffer(Buffer.buffer("{\"entity_id\": \"5\"}")).toCompletionStage().toCompletableFuture()
                    .get(10, TimeUnit.SECONDS);
            assertThat(ok.statusCode()).as(ok.bodyAsString()).isEqualTo(200);
            for (java.net.Socket s : stalled) {
                s.close();
            }
        }
    }

    @Test
    void aModelThatScoresFasterThanARedisLookupIsNotCached() throws Exception {
        // The quickstart's GLM scores in about a microsecond; a Redis round trip costs tens of them.
        ServeConfig auto = ServeConfig.builder().port(0).eventLoops(1).scoringWorkers(1).inlineScoringMaxMicros(50)
                .batchMaxRows(100).bodyLimitBytes(64 * 1024).pgPoolSize(4)
                .resilience(Resilience.builder().redisUrl(dev.converge.testkit.TestServices.redisUrl())
                        .breakerOpenSeconds(60).build())
                .build();
        try (Running running = Running.start(auto, 4)) {
            PredictionServer server = running.server();
            assertThat(server.readiness().cache()).startsWith("off (scoring p90").contains("a Redis lookup's");
            for (int i = 0; i < 20; i++) {
                HttpResponse<Buffer> r = running.client().post("/v1/predict").sendBuffer(Buffer.buffer(
                        "{\"entity_id\": \"" + (i + 1) + "\"}")).toCompletionStage().toCompletableFuture()
                        .get(10, TimeUnit.SECONDS);
                assertThat(r.statusCode()).isEqualTo(200);
                assertThat(r.bodyAsJsonObject().getBoolean("cached")).isFalse();
            }
            assertThat(server.metrics().get("converge.cache.requests").tag("result", "bypassed").counter().count())
                    .isGreaterThanOrEqualTo(20);
            assertThat(server.metrics().get("converge.cache.requests").tag("result", "hit").counter().count()
                    + server.metrics().get("converge.cache.requests").tag("result", "miss").counter().count()).isZero();
        }
    }

    @Test
    void unseenLevelsAreRefusedWhenThePolicySaysSo() throws Exception {
        ServeConfig refuse = ServeConfig.builder().port(0).eventLoops(1).scoringWorkers(1).inlineScoringMaxMicros(50)
                .batchMaxRows(100).bodyLimitBytes(64 * 1024).pgPoolSize(4)
                .resilience(Resilience.builder().redisUrl("none").breakerOpenSeconds(60).build())
                .refuseUnseenLevels(true).build();
        try (Running running = Running.start(refuse, 4)) {
            String categorical = running.server().activeModel().schema().features().stream()
                    .filter(f -> f.type() == dev.converge.contracts.FeatureType.CATEGORICAL).findFirst().orElseThrow()
                    .name();
            HttpResponse<Buffer> r = running.client().post("/v1/predict").sendBuffer(Buffer.buffer(new JsonObject()
                    .put("entity_id", "4").put("features", new JsonObject().put(categorical, "never-seen")).encode()))
                    .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            assertThat(r.statusCode()).isEqualTo(422);
            JsonObject e = r.bodyAsJsonObject().getJsonArray("errors").getJsonObject(0);
            assertThat(e.getString("field")).isEqualTo(categorical);
            assertThat(e.getString("reason")).isEqualTo("unseen_level");
        }
    }

    /** A server of a test's own, ready, with a client of {@code connections} connections; closes both. */
    private record Running(PredictionServer server, Vertx vertx, WebClient client) implements AutoCloseable {
        static Running start(ServeConfig config, int connections) throws Exception {
            PredictionServer server = PredictionServer.start(config, fixture.db.endpoint(), null).toCompletionStage()
                    .toCompletableFuture().get(30, TimeUnit.SECONDS);
            ServeFixture.awaitModel(server);
            Vertx vertx = Vertx.vertx();
            return new Running(server, vertx, WebClient.create(vertx, new WebClientOptions()
                    .setDefaultHost("127.0.0.1").setDefaultPort(server.port()),
                    new io.vertx.core.http.PoolOptions().setHttp1MaxSize(connections)));
        }

        @Override
        public void close() throws Exception {
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            server.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
    }
}
