package dev.converge.serve;

import static org.assertj.core.api.Assertions.assertThat;

import dev.converge.serve.config.Resilience;
import dev.converge.serve.config.ServeConfig;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two serving replicas on one registry (issue 14): a promotion and a rollback are followed by both within a second
 * (LISTEN/NOTIFY, not the 30 s poll), and a replica stopped and started again comes back on the current champion.
 */
class ReplicasIT {
    @TempDir
    Path work;

    static PredictionServer start(ServeFixture fixture) throws Exception {
        PredictionServer s = PredictionServer.start(ServeConfig.builder().port(0).eventLoops(1).scoringWorkers(2)
                .inlineScoringMaxMicros(50).pgPoolSize(4)
                .resilience(Resilience.builder().redisUrl("none").breakerOpenSeconds(60).build())
                .build(), fixture.db.endpoint(), null)
                .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        ServeFixture.awaitModel(s);
        return s;
    }

    /** Milliseconds until both replicas serve {@code version}. */
    static long bothServe(PredictionServer a, PredictionServer b, int version, long since) throws Exception {
        long deadline = System.currentTimeMillis() + 10_000;
        while ((a.activeModel().version() != version || b.activeModel().version() != version)
                && System.currentTimeMillis() < deadline) {
            Thread.sleep(5);
        }
        assertThat(a.activeModel().version()).isEqualTo(version);
        assertThat(b.activeModel().version()).isEqualTo(version);
        return (System.nanoTime() - since) / 1_000_000;
    }

    @Test
    void bothReplicasFollowPromotionsWithinASecondAndARestartedOneComesBackOnTheChampion() throws Exception {
        try (ServeFixture fixture = new ServeFixture(work)) {
            PredictionServer a = start(fixture);
            PredictionServer b = start(fixture);
            try {
                long t0 = System.nanoTime();
                fixture.registry.promote("credit_risk", 2, "test", "replicas follow");
                long promoted = bothServe(a, b, 2, t0);
                t0 = System.nanoTime();
                fixture.registry.rollback("credit_risk", "test", "and back");
                long rolledBack = bothServe(a, b, 1, t0);
                System.out.printf("[ReplicasIT] both replicas served the promotion after %d ms, the rollback after"
                        + " %d ms%n", promoted, rolledBack);
                assertThat(promoted).as("promotion, ms").isLessThan(1000);
                assertThat(rolledBack).as("rollback, ms").isLessThan(1000);

                b.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
                fixture.registry.promote("credit_risk", 2, "test", "while b is down");
                b = start(fixture);
                assertThat(b.activeModel().version()).as("a restarted replica serves the current champion")
                        .isEqualTo(2);
                assertThat(bothServe(a, b, 2, System.nanoTime())).isLessThan(1000);
            } finally {
                a.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
                b.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            }
        }
    }
}
