package dev.converge.serve;

import static org.assertj.core.api.Assertions.assertThat;

import dev.converge.bench.HotSwapCheck;
import dev.converge.serve.config.Resilience;
import dev.converge.serve.config.ServeConfig;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code converge check-hot-swap} against a live server: 500 requests a second while v2 is activated passes, and
 * the check fails, saying why, when the activation is refused (a version that does not exist).
 */
class HotSwapCheckIT {
    static final String TOKEN = "hot-swap-admin-token-0123456789";

    @TempDir
    Path work;

    @Test
    void aSwapUnderLoadPassesAndARefusedOneFails() throws Exception {
        try (ServeFixture fixture = new ServeFixture(work)) {
            PredictionServer server = PredictionServer.start(ServeConfig.builder().port(0).adminToken(TOKEN)
                    .eventLoops(1).scoringWorkers(2).inlineScoringMaxMicros(50).pgPoolSize(4)
                    .resilience(Resilience.builder().redisUrl("none").breakerOpenSeconds(60).build())
                    .build(), fixture.db.endpoint(), null)
                    .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
            try {
                ServeFixture.awaitModel(server);
                String url = "http://127.0.0.1:" + server.port();
                HotSwapCheck.Verdict swap = HotSwapCheck.run(url, TOKEN, 2, 500, 6, i -> "{\"entity_id\": \""
                        + (1 + i % 500) + "\"}");
                assertThat(swap.passed()).as(swap.describe()).isTrue();
                assertThat(swap.servedAfter()).isEqualTo(2);
                assertThat(swap.load().completed()).isEqualTo(swap.load().sent()).isGreaterThanOrEqualTo(2900);

                HotSwapCheck.Verdict refused = HotSwapCheck.run(url, TOKEN, 9, 200, 3, i -> "{\"entity_id\": \"1\"}");
                assertThat(refused.passed()).isFalse();
                assertThat(refused.reason()).contains("refused (404)");
            } finally {
                server.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            }
        }
    }
}
