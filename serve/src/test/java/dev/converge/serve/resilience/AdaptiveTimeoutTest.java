package dev.converge.serve.resilience;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A dependency that answers slowly gets a longer timeout; one that does not answer does not. */
class AdaptiveTimeoutTest {
    private static final long MS = 1_000_000L;

    @Test
    void theTimeoutFollowsThreeTimesTheRecentP99WithinItsBounds() {
        AdaptiveTimeout t = new AdaptiveTimeout(50, 500);
        assertThat(t.millis()).as("before any call: the configured timeout").isEqualTo(50);
        for (int i = 0; i < 300; i++) {
            t.succeeded(5 * MS); // a healthy database: 5 ms
        }
        assertThat(t.millis()).as("3 x 5 ms is below the floor").isEqualTo(50);
        for (int i = 0; i < 300; i++) {
            t.succeeded(40 * MS); // a busy machine: 40 ms
        }
        assertThat(t.millis()).isEqualTo(120);
        for (int i = 0; i < 300; i++) {
            t.succeeded(400 * MS);
        }
        assertThat(t.millis()).as("at most the ceiling").isEqualTo(500);
        for (int i = 0; i < 300; i++) {
            t.succeeded(3 * MS);
        }
        assertThat(t.millis()).as("back to the floor once the database is quick again").isEqualTo(50);
        assertThatThrownBy(() -> new AdaptiveTimeout(50, 20)).hasMessageContaining("below its floor");
    }

    @Test
    void aDependencySlowerThanTheTimeoutIsWaitedForOnceItsLateRepliesAreMeasuredAndAHungOneIsNot() throws Exception {
        Vertx vertx = Vertx.vertx();
        try {
            AdaptiveTimeout timeout = new AdaptiveTimeout(50, 500);
            Breaker b = new Breaker(vertx, "test", 1000, Duration.ofSeconds(2), 1, timeout, null, () -> false,
                    new SimpleMeterRegistry());
            java.util.function.Supplier<Future<String>> slow = () -> { // answers, after 120 ms
                Promise<String> p = Promise.promise();
                vertx.setTimer(120, id -> p.complete("ok"));
                return p.future();
            };
            int failedFirst = 0;
            for (int i = 0; i < 5; i++) {
                failedFirst += outcome(b.call(slow)) ? 0 : 1;
            }
            Thread.sleep(200); // the late replies arrive and are measured
            int okAfter = 0;
            for (int i = 0; i < 10; i++) {
                okAfter += outcome(b.call(slow)) ? 1 : 0;
            }

            assertThat(failedFirst).as("at first the 50 ms timeout gives the 120 ms calls up").isGreaterThan(0);
            assertThat(okAfter).as("then the timeout is 3 x 120 ms and every call is waited for").isEqualTo(10);
            assertThat(timeout.millis()).isBetween(350L, 420L);

            AdaptiveTimeout hung = new AdaptiveTimeout(50, 500);
            Breaker h = new Breaker(vertx, "hung", 1000, Duration.ofSeconds(2), 1, hung, null, () -> false,
                    new SimpleMeterRegistry());
            for (int i = 0; i < 5; i++) {
                assertThat(outcome(h.call(() -> Promise.<String>promise().future()))).isFalse();
            }
            assertThat(hung.millis()).as("no reply, no longer wait").isEqualTo(50);
        } finally {
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
    }

    private static boolean outcome(Future<String> f) throws Exception {
        return f.toCompletionStage().toCompletableFuture().handle((v, e) -> e == null).get(5, TimeUnit.SECONDS);
    }
}
