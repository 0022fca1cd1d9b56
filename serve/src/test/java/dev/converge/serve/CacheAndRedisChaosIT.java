package dev.converge.serve;

import static org.assertj.core.api.Assertions.assertThat;

import dev.converge.serve.config.Resilience;
import dev.converge.serve.config.ServeConfig;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The prediction cache against a real Redis that this test starts and kills itself (never the shared one), and
 * the server on the real test PostgreSQL.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CacheAndRedisChaosIT {
    static final String TOKEN = "test-admin-token-0123456789";
    @TempDir
    static Path work;
    static ServeFixture fixture;
    static PredictionServer server;
    static Vertx clientVertx;
    static WebClient http;
    static int redisPort;
    static Process redis;

    static Process startRedis(int port) throws Exception {
        return startRedis(port, work);
    }

    /** A Redis of the test's own, on loopback, persisting nothing ({@code redis-server}, or the bundled one). */
    static Process startRedis(int port, Path dir) throws Exception {
        return dev.converge.testkit.TestServices.startRedis(port, dir);
    }

    @BeforeAll
    static void start() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            redisPort = s.getLocalPort();
        }
        redis = startRedis(redisPort);
        fixture = new ServeFixture(work);
        ServeConfig config = ServeConfig.builder().port(0).adminToken(TOKEN).eventLoops(2).scoringWorkers(2)
                .inlineScoringMaxMicros(50).batchMaxRows(100).bodyLimitBytes(64 * 1024).pgPoolSize(4)
                // 250 ms, not the 20 ms default: on a loaded CI machine a slow GET must not split the single flight
                .resilience(Resilience.builder().redisUrl("redis://127.0.0.1:" + redisPort).breakerOpenSeconds(2)
                        .redisTimeoutMillis(250).cacheAlways(true).build())
                .build();
        server = PredictionServer.start(config, fixture.db.endpoint(), null).toCompletionStage().toCompletableFuture()
                .get(30, TimeUnit.SECONDS);
        clientVertx = Vertx.vertx();
        http = WebClient.create(clientVertx, new WebClientOptions().setDefaultHost("127.0.0.1")
                .setDefaultPort(server.port()));
        ServeFixture.awaitModel(server);
    }

    @AfterAll
    static void stop() throws Exception {
        server.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        clientVertx.close();
        fixture.close();
        redis.destroyForcibly();
    }

    static HttpResponse<Buffer> post(String path, String body) throws Exception {
        return http.post(path).sendBuffer(Buffer.buffer(body)).toCompletionStage().toCompletableFuture()
                .get(10, TimeUnit.SECONDS);
    }

    static double scorings() {
        double n = 0;
        for (Timer t : server.metrics().find("converge.scoring").timers()) {
            n += t.count();
        }
        return n;
    }

    static double breakerState(String dependency) {
        return server.metrics().get("converge.breaker.state").tag("dependency", dependency).gauge().value();
    }

    @Test
    @Order(1)
    void aHundredConcurrentIdenticalRequestsScoreOnce() throws Exception {
        String body = "{\"entity_id\": \"3\", \"features\": {\"int_rate\": 17.123}}";
        double before = scorings();
        List<CompletableFuture<HttpResponse<Buffer>>> all = new ArrayList<>();

        for (int i = 0; i < 100; i++) {
            all.add(http.post("/v1/predict").sendBuffer(Buffer.buffer(body)).toCompletionStage().toCompletableFuture());
        }
        CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);

        assertThat(scorings() - before).isEqualTo(1.0);
        Object first = all.get(0).get().bodyAsJsonObject().getValue("prediction");
        for (var f : all) {
            assertThat(f.get().statusCode()).isEqualTo(200);
            assertThat(f.get().bodyAsJsonObject().getValue("prediction")).isEqualTo(first);
        }
        assertThat(cachedSoon(body)).isTrue();
    }

    /**
     * Whether a repeat of {@code body} is answered from the cache within a second: the first answer leaves before
     * its SET lands, and a repeat that arrives meanwhile shares that flight's (uncached) answer.
     */
    private boolean cachedSoon(String body) throws Exception {
        for (int i = 0; i < 50; i++) {
            if (post("/v1/predict", body).bodyAsJsonObject().getBoolean("cached")) {
                return true;
            }
            Thread.sleep(20);
        }
        return false;
    }

    @Test
    @Order(2)
    void aNewModelVersionNeverServesTheOldVersionsCachedPrediction() throws Exception {
        String body = "{\"entity_id\": \"11\", \"features\": {\"annual_inc\": 51234}}";
        JsonObject v1 = post("/v1/predict", body).bodyAsJsonObject();
        assertThat(cachedSoon(body)).as("populated under v1").isTrue();

        assertThat(http.post("/admin/models/2/activate").putHeader("Authorization", "Bearer " + TOKEN).send()
                .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        JsonObject v2 = post("/v1/predict", body).bodyAsJsonObject();

        assertThat(v2.getJsonObject("model").getInteger("version")).isEqualTo(2);
        assertThat(v2.getBoolean("cached")).isFalse();
        assertThat(v2.getJsonObject("probabilities")).isNotEqualTo(v1.getJsonObject("probabilities"));
        http.post("/admin/models/rollback").putHeader("Authorization", "Bearer " + TOKEN).send()
                .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    @Test
    @Order(3)
    void overloadIsShedWith503AndRetryAfterAndTheServerRecovers() throws Exception {
        ServeConfig tight = ServeConfig.builder().port(0).eventLoops(1).scoringWorkers(1).inlineScoringMaxMicros(50)
                .batchMaxRows(100).bodyLimitBytes(64 * 1024).pgPoolSize(4)
                .resilience(Resilience.builder().redisUrl("none").breakerOpenSeconds(2).maxInFlight(8).build()).build();
        Map<String, Integer> seen = burst(tight, 2000);
        assertThat(seen.get("in flight")).as("beyond 8 in flight, requests are shed").isPositive();
        assertThat(seen.get("200")).isPositive();
    }

    @Test
    @Order(3)
    void aScoringThatWaitedPastTheDeadlineIsNotRunAndItsRequestGets503() throws Exception {
        // Every scoring on the one worker (inline threshold 0), dropped when it waited over 2 ms. One request's
        // scoring is held for 300 ms (ScoringFaults), so every request queued behind it waits past the deadline.
        ServeConfig queueBound = ServeConfig.builder().port(0).eventLoops(1).scoringWorkers(1).inlineScoringMaxMicros(0)
                .batchMaxRows(100).bodyLimitBytes(64 * 1024).pgPoolSize(4)
                .resilience(Resilience.builder().redisUrl("none").breakerOpenSeconds(2).maxQueueMillis(1)
                        .queueDeadlineMillis(2).build())
                .build();
        java.util.concurrent.atomic.AtomicBoolean holdNext = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.CountDownLatch holding = new java.util.concurrent.CountDownLatch(1);
        dev.converge.serve.scoring.ScoringFaults hold = (model, version) -> {
            if (holdNext.compareAndSet(true, false)) {
                holding.countDown();
                try {
                    Thread.sleep(300);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        };
        withServer(queueBound, null, hold, (server, v) -> {
            WebClient client = WebClient.create(v, new WebClientOptions().setDefaultHost("127.0.0.1")
                    .setDefaultPort(server.port()), new io.vertx.core.http.PoolOptions().setHttp1MaxSize(21));
            holdNext.set(true);
            // The holder's own scoring may be dropped at its 2 ms deadline when the shared machine stalls (CI saw
            // it once): it is then answered 503 without being held, and is sent again (holdNext is still set).
            CompletableFuture<HttpResponse<Buffer>> holder = null;
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (holding.getCount() > 0 && System.nanoTime() < until) {
                if (holder == null || holder.isDone()) {
                    holder = client.post("/v1/predict").sendBuffer(Buffer.buffer("{\"entity_id\": \"1\"}"))
                            .toCompletionStage().toCompletableFuture();
                }
                holding.await(20, TimeUnit.MILLISECONDS);
            }
            assertThat(holding.getCount()).as("a scoring holds the worker").isZero();
            // Counted from here: a holder dropped before it was held was answered, and counted, already.
            double expiredBefore = server.metrics().get("converge.scoring.expired").functionCounter().count();
            List<CompletableFuture<HttpResponse<Buffer>>> all = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                all.add(client.post("/v1/predict").sendBuffer(Buffer.buffer("{\"entity_id\": \"" + (1 + i) + "\"}"))
                        .toCompletionStage().toCompletableFuture());
            }
            assertThat(holder.get(30, TimeUnit.SECONDS).statusCode()).as("the held scoring itself is answered")
                    .isEqualTo(200);
            for (var f : all) {
                HttpResponse<Buffer> r = f.get(30, TimeUnit.SECONDS);
                assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(503);
                assertThat(r.getHeader("Retry-After")).isEqualTo("1");
                assertThat(r.bodyAsJsonObject().getString("error")).isEqualTo("overloaded");
                assertThat(r.bodyAsJsonObject().getString("message")).contains("past the 2 ms deadline");
            }
            assertThat(server.metrics().get("converge.scoring.expired").functionCounter().count() - expiredBefore)
                    .isEqualTo(20);
            // With a 2 ms deadline, a scheduling hiccup of the shared machine can drop one more scoring: the claim
            // is that scoring resumes, so the first 200 within five tries is what is asserted.
            HttpResponse<Buffer> again = null;
            for (int attempt = 0; attempt < 5 && (again == null || again.statusCode() != 200); attempt++) {
                again = client.post("/v1/predict").sendBuffer(Buffer.buffer("{\"entity_id\": \"1\"}"))
                        .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            }
            assertThat(again.statusCode()).as("once the worker is free, requests are scored again: %s",
                    again.bodyAsString()).isEqualTo(200);
            // And it stays so: one at a time, the free worker scores most requests (on a loaded two-core machine a
            // scheduling hiccup drops some past their 2 ms deadline: 3 of 20 were seen; a worker left stuck or a
            // queue left full would refuse them all).
            int scored = 0;
            for (int i = 0; i < 20; i++) {
                HttpResponse<Buffer> r = client.post("/v1/predict").sendBuffer(Buffer.buffer("{\"entity_id\": \""
                        + (1 + i) + "\"}")).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
                if (r.statusCode() == 200) {
                    scored++;
                } else {
                    assertThat(r.bodyAsString()).as("only the deadline may refuse one").contains("deadline");
                }
            }
            assertThat(scored).as("of 20 requests after the worker was freed").isGreaterThanOrEqualTo(10);
            return null;
        });
    }

    @Test
    @Order(3)
    void aBatchIsNeverDroppedForQueueingBehindItsOwnRows() throws Exception {
        // One worker, a 1 ms deadline: the batch's last rows wait far longer than that behind its first ones.
        ServeConfig queueBound = ServeConfig.builder().port(0).eventLoops(1).scoringWorkers(1).inlineScoringMaxMicros(0)
                .pgPoolSize(4)
                .resilience(Resilience.builder().redisUrl("none").breakerOpenSeconds(2).maxQueueMillis(1)
                        .queueDeadlineMillis(1).build())
                .build();
        withServer(queueBound, null, (small, v) -> {
            StringBuilder rows = new StringBuilder();
            for (int i = 1; i <= 1000; i++) {
                rows.append(i == 1 ? "" : ",").append("{\"entity_id\": \"").append(1 + i % 500).append("\"}");
            }
            HttpResponse<Buffer> r = WebClient.create(v, new WebClientOptions().setDefaultHost("127.0.0.1")
                    .setDefaultPort(small.port())).post("/v1/predict/batch").sendBuffer(Buffer.buffer("{\"rows\": ["
                    + rows + "]}")).toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
            assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
            assertThat(r.bodyAsJsonObject().getInteger("ok")).isEqualTo(1000);
            return null;
        });
    }

    /** What runs against a server of a test's own, with a Vert.x instance for its client. */
    private interface ServerTask<T> {
        T run(PredictionServer server, Vertx vertx) throws Exception;
    }

    /** Starts a server with {@code config} (and test routes), waits for its model, runs the task, closes both. */
    private <T> T withServer(ServeConfig config, java.util.function.Consumer<io.vertx.ext.web.Router> testRoutes,
                             ServerTask<T> task) throws Exception {
        return withServer(config, testRoutes, dev.converge.serve.scoring.ScoringFaults.NONE, task);
    }

    private <T> T withServer(ServeConfig config, java.util.function.Consumer<io.vertx.ext.web.Router> testRoutes,
                             dev.converge.serve.scoring.ScoringFaults faults, ServerTask<T> task) throws Exception {
        PredictionServer server = PredictionServer.start(config, fixture.db.endpoint(), testRoutes, faults)
                .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        Vertx v = Vertx.vertx();
        try {
            ServeFixture.awaitModel(server);
            return task.run(server, v);
        } finally {
            server.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            v.close();
        }
    }

    /**
     * Sends {@code n} requests at once to a server with {@code config}: every answer must be 200, or 503 with
     * Retry-After naming the bound it hit; then one more request must be answered 200. Returns counts by outcome.
     */
    private Map<String, Integer> burst(ServeConfig config, int n) throws Exception {
        return withServer(config, null, (small, v) -> {
            WebClient burst = WebClient.create(v, new WebClientOptions().setDefaultHost("127.0.0.1")
                    .setDefaultPort(small.port()), new io.vertx.core.http.PoolOptions().setHttp1MaxSize(200));
            List<CompletableFuture<HttpResponse<Buffer>>> all = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                all.add(burst.post("/v1/predict").sendBuffer(Buffer.buffer("{\"entity_id\": \"" + (1 + i % 500)
                        + "\"}")).toCompletionStage().toCompletableFuture());
            }
            CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
            Map<String, Integer> seen = new java.util.TreeMap<>(Map.of("200", 0, "in flight", 0, "wait", 0,
                    "deadline", 0, "other 503", 0));
            for (var f : all) {
                HttpResponse<Buffer> r = f.get();
                if (r.statusCode() == 503) {
                    assertThat(r.getHeader("Retry-After")).isEqualTo("1");
                    JsonObject body = r.bodyAsJsonObject();
                    assertThat(body.getString("error")).isEqualTo("overloaded");
                    String m = body.getString("message");
                    seen.merge(m.contains("requests in progress") ? "in flight" : m.contains("would wait about")
                            ? "wait" : m.contains("past the") ? "deadline" : "other 503", 1, Integer::sum);
                } else {
                    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
                    seen.merge("200", 1, Integer::sum);
                }
            }
            assertThat(burst.post("/v1/predict").sendBuffer(Buffer.buffer("{\"entity_id\": \"1\"}"))
                    .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS).statusCode())
                    .as("recovered once the burst is over").isEqualTo(200);
            return seen;
        });
    }

    @Test
    @Order(4)
    void killingRedisDegradesAnswersButNeverFailsThemAndTheBreakerRecovers() throws Exception {
        // Background load across the kill: 20 concurrent requests every 20 ms, every answer must be a 200.
        java.util.concurrent.atomic.AtomicInteger non200 = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicInteger answered = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicBoolean loading = new java.util.concurrent.atomic.AtomicBoolean(true);
        Thread load = new Thread(() -> {
            int n = 0;
            while (loading.get()) {
                for (int k = 0; k < 20; k++) {
                    http.post("/v1/predict").sendBuffer(Buffer.buffer("{\"entity_id\": \"" + (200 + n++ % 700) + "\"}"))
                            .onComplete(ar -> {
                                answered.incrementAndGet();
                                if (ar.failed() || ar.result().statusCode() != 200) {
                                    non200.incrementAndGet();
                                }
                            });
                }
                try {
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        load.start();
        Thread.sleep(300);
        redis.destroyForcibly().waitFor();
        long killed = System.nanoTime();
        Double firstFallbackSeconds = null;
        int degraded = 0;

        for (int i = 0; i < 40; i++) {
            HttpResponse<Buffer> r = post("/v1/predict", "{\"entity_id\": \"" + (20 + i) + "\"}");
            assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
            JsonObject o = r.bodyAsJsonObject();
            assertThat(o.getValue("prediction")).isNotNull();
            if (o.getBoolean("degraded")) {
                degraded++;
                assertThat(o.getString("degraded_reason")).contains("cache unavailable");
                if (firstFallbackSeconds == null) {
                    firstFallbackSeconds = (System.nanoTime() - killed) / 1e9;
                }
            }
        }

        assertThat(degraded).isEqualTo(40);
        assertThat(firstFallbackSeconds).isLessThan(1.0);
        assertThat(breakerState("redis")).as("open after 5 failures").isEqualTo(1.0);

        redis = startRedis(redisPort);
        Thread.sleep(2_500); // open duration 2 s, then half-open
        boolean recovered = false;
        for (int i = 0; i < 50 && !recovered; i++) {
            JsonObject o = post("/v1/predict", "{\"entity_id\": \"" + (100 + i) + "\"}").bodyAsJsonObject();
            recovered = !o.getBoolean("degraded") && breakerState("redis") == 0.0;
            Thread.sleep(50);
        }
        assertThat(recovered).as("half-open probes close the breaker once Redis is back").isTrue();
        assertThat(cachedSoon("{\"entity_id\": \"77\"}")).as("the reconnected Redis stores and serves predictions"
                + " again").isTrue();
        loading.set(false);
        load.join();
        Thread.sleep(500);
        assertThat(answered.get()).isGreaterThan(500);
        assertThat(non200.get()).as("non-200 answers under load while Redis died and came back").isZero();
        System.out.printf("first fallback %.3f s after Redis was killed%n", firstFallbackSeconds);
    }
}
