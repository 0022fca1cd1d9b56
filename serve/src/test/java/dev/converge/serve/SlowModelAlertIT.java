package dev.converge.serve;

import dev.converge.serve.config.LatencySettings;
import static org.assertj.core.api.Assertions.assertThat;

import dev.converge.serve.config.Resilience;
import dev.converge.serve.config.ServeConfig;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Latency attribution with a model made slow on purpose (issue 12): scoring on the worker pool takes 250 ms a row,
 * the loops stay free, and the alert names scoring with the figures; when the model is fast again it resolves.
 */
class SlowModelAlertIT {
    @TempDir
    Path work;

    volatile int slowMillis;

    @Test
    void aSlowModelRaisesALatencyAlertThatNamesScoringAndResolvesWhenItIsFastAgain() throws Exception {
        try (ServeFixture fixture = new ServeFixture(work); WebhookListener hook = new WebhookListener()) {
            ServeConfig config = ServeConfig.builder().port(0).eventLoops(1).scoringWorkers(2).inlineScoringMaxMicros(0)
                    .pgPoolSize(4).resilience(Resilience.builder().redisUrl("none").breakerOpenSeconds(60).build())
                    .latency(new LatencySettings(20, 1, 2)).alertsWebhookUrl(hook.url()).build();
            PredictionServer server = PredictionServer.start(config, fixture.db.endpoint(), null, (model, version) -> {
                try {
                    Thread.sleep(slowMillis);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
            Vertx vertx = Vertx.vertx();
            try {
                slowMillis = 0; // the warm-up scores at full speed
                assertThat(ServeFixture.awaitModel(server).inline()).as("scored on the worker pool").isFalse();
                // Far slower than a loop stall on a busy machine (a 32 ms GC or JIT stall once named the loop when
                // scoring took 40 ms: the rule names lag when the loops ran late by half the slow requests' time).
                slowMillis = 250;
                WebClient http = WebClient.create(vertx);
                JsonObject row = new JsonObject(new HashMap<>(server.activeModel().referenceRows().get(0)));
                long end = System.currentTimeMillis() + 15_000;
                while (firing(hook.received()).isEmpty() && System.currentTimeMillis() < end) {
                    http.post(server.port(), "127.0.0.1", "/v1/predict").sendJsonObject(new JsonObject()
                            .put("features", row)).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
                }
                JsonObject alert = firing(hook.received()).orElseThrow(() -> new AssertionError("no latency alert"));
                assertThat(alert.getJsonObject("details").getString("cause")).as(alert.encode()).isEqualTo("scoring");
                assertThat(alert.getJsonObject("details").getDouble("scoring_ms")).isGreaterThan(200);
                assertThat(alert.getString("summary")).contains("mostly from scoring");
                // The loops stay free: while a 250 ms scoring runs on the worker pool, the event loop answers a
                // liveness probe at once (had the scoring run on the loop, the probe would wait for it).
                var scoring = http.post(server.port(), "127.0.0.1", "/v1/predict").sendJsonObject(new JsonObject()
                        .put("features", row)).toCompletionStage().toCompletableFuture();
                Thread.sleep(30); // the scoring has started on its worker
                long t0 = System.nanoTime();
                int live = http.get(server.port(), "127.0.0.1", "/health/live").send().toCompletionStage()
                        .toCompletableFuture().get(10, TimeUnit.SECONDS).statusCode();
                double liveMs = (System.nanoTime() - t0) / 1e6;
                assertThat(scoring.isDone()).as("the probe was answered while the scoring still ran").isFalse();
                assertThat(live).isEqualTo(200);
                assertThat(liveMs).as("the loop's answer during a 250 ms scoring").isLessThan(100);
                scoring.get(10, TimeUnit.SECONDS);

                slowMillis = 0;
                end = System.currentTimeMillis() + 15_000;
                while (hook.received().stream().noneMatch(a -> a.getString("alert").equals("latency/credit_risk")
                        && a.getString("status").equals("resolved")) && System.currentTimeMillis() < end) {
                    http.post(server.port(), "127.0.0.1", "/v1/predict").sendJsonObject(new JsonObject()
                            .put("features", row)).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
                }
                assertThat(hook.received()).anyMatch(a -> a.getString("alert").equals("latency/credit_risk")
                        && a.getString("status").equals("resolved"));
            } finally {
                server.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
                vertx.close();
            }
        }
    }

    static Optional<JsonObject> firing(List<JsonObject> alerts) {
        return alerts.stream().filter(a -> a.getString("alert").equals("latency/credit_risk")
                && a.getString("status").equals("firing")).findFirst();
    }
}
