package dev.converge.serve;

import static org.assertj.core.api.Assertions.assertThat;

import dev.converge.bench.CacheCoherenceCheck;
import dev.converge.serve.config.Resilience;
import dev.converge.serve.config.ServeConfig;
import dev.converge.testkit.TestServices;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code converge check-cache-coherence} against live servers on the test Redis: a caching server passes through a
 * change from v1 to v2 (every answer after it from v2, then cached in v2's keys); the check fails, saying why, on a
 * server that does not cache and on an activation that is refused.
 */
class CacheCoherenceCheckIT {
    static final String TOKEN = "cache-coherence-admin-token-0123456789";

    @TempDir
    Path work;

    private static PredictionServer start(ServeFixture fixture, Resilience r) throws Exception {
        PredictionServer server = PredictionServer.start(ServeConfig.builder().port(0).adminToken(TOKEN).eventLoops(1)
                .scoringWorkers(2).inlineScoringMaxMicros(50).pgPoolSize(4).resilience(r)
                .build(), fixture.db.endpoint(), null).toCompletionStage().toCompletableFuture()
                .get(30, TimeUnit.SECONDS);
        ServeFixture.awaitModel(server);
        return server;
    }

    @Test
    void aCachingServerHasNoStaleAnswerAfterAVersionChange() throws Exception {
        String redis = TestServices.redisUrl();
        List<String> bodies = IntStream.rangeClosed(1, 15).mapToObj(i -> "{\"entity_id\": \"" + i + "\"}").toList();
        try (ServeFixture fixture = new ServeFixture(work)) {
            PredictionServer caching = start(fixture, Resilience.builder().redisUrl(redis).breakerOpenSeconds(60)
                    .cacheAlways(true).build());
            try {
                String url = "http://127.0.0.1:" + caching.port();

                CacheCoherenceCheck.Verdict v = CacheCoherenceCheck.run(url, TOKEN, 2, redis, bodies);

                assertThat(v.passed()).as(v.describe()).isTrue();
                assertThat(v.from()).isEqualTo(1);
                assertThat(v.oldKeys()).as("v1's entries stay, to age out").isGreaterThanOrEqualTo(15);
                assertThat(v.newKeys()).isGreaterThanOrEqualTo(15);

                CacheCoherenceCheck.Verdict refused = CacheCoherenceCheck.run(url, TOKEN, 9, redis, bodies);
                assertThat(refused.passed()).isFalse();
                assertThat(refused.reason()).contains("refused (404");
            } finally {
                caching.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            }
            PredictionServer plain = start(fixture, Resilience.builder().redisUrl("none").breakerOpenSeconds(60)
                    .build());
            try {
                CacheCoherenceCheck.Verdict v = CacheCoherenceCheck.run("http://127.0.0.1:" + plain.port(), TOKEN, 2,
                        null, bodies);

                assertThat(v.passed()).isFalse();
                assertThat(v.reason()).contains("does not cache");
            } finally {
                plain.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            }
        }
    }
}
