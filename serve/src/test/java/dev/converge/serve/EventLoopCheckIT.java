package dev.converge.serve;

import static org.assertj.core.api.Assertions.assertThat;

import dev.converge.bench.EventLoopCheck;
import dev.converge.serve.config.Resilience;
import dev.converge.serve.config.ServeConfig;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code converge check-event-loop} against a live server: ordinary load passes a generous threshold, and the check
 * fails, naming the lag, when something blocks the event loop during the load (a test route that sleeps on it).
 */
class EventLoopCheckIT {
    @TempDir
    Path work;

    @Test
    void ordinaryLoadPassesAndABlockedLoopFails() throws Exception {
        try (ServeFixture fixture = new ServeFixture(work)) {
            PredictionServer server = PredictionServer.start(ServeConfig.builder().port(0).eventLoops(1)
                    .scoringWorkers(1).inlineScoringMaxMicros(50).pgPoolSize(4)
                    .resilience(Resilience.builder().redisUrl("none").breakerOpenSeconds(60).build())
                    .build(), fixture.db.endpoint(),
                    router -> router.post("/test/block-the-loop").handler(ctx -> {
                        try {
                            Thread.sleep(300); // on the event loop, on purpose
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                        ctx.response().end();
                    })).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
            try {
                ServeFixture.awaitModel(server);
                String url = "http://127.0.0.1:" + server.port();
                EventLoopCheck.Verdict calm = EventLoopCheck.run(url, 250, 200, 3, i -> "{\"entity_id\": \""
                        + (1 + i % 500) + "\"}");
                assertThat(calm.passed()).as(calm.describe()).isTrue();
                assertThat(calm.lagSamples()).as("ticks of a 20 ms probe over 3 s").isGreaterThan(50);

                Thread blocker = new Thread(() -> {
                    java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
                    for (int i = 0; i < 6; i++) {
                        try {
                            Thread.sleep(300);
                            http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(url
                                    + "/test/block-the-loop")).POST(java.net.http.HttpRequest.BodyPublishers
                                    .noBody()).build(), java.net.http.HttpResponse.BodyHandlers.discarding());
                        } catch (Exception e) {
                            return;
                        }
                    }
                });
                blocker.start();
                EventLoopCheck.Verdict blocked = EventLoopCheck.run(url, 50, 200, 4, i -> "{\"entity_id\": \"1\"}");
                blocker.join(30_000);
                assertThat(blocked.passed()).as(blocked.describe()).isFalse();
                assertThat(blocked.reason()).contains("ran late").contains("above 50.0 ms");
                assertThat(blocked.lagP99Ms()).isGreaterThan(50);
            } finally {
                server.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            }
        }
    }
}
