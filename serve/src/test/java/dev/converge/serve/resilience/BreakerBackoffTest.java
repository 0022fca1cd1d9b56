package dev.converge.serve.resilience;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** An open breaker probes soon, backs off while the dependency stays down, and is back within its cap. */
class BreakerBackoffTest {
    @Test
    void theWaitStartsShortDoublesAndStopsAtTheCap() {
        var f = Breaker.probeBackoff(Duration.ofSeconds(2));
        assertThat(f.apply(1)).isEqualTo(250L);
        assertThat(f.apply(2)).isEqualTo(500L);
        assertThat(f.apply(3)).isEqualTo(1000L);
        assertThat(f.apply(4)).isEqualTo(2000L);
        assertThat(f.apply(40)).isEqualTo(2000L);
        assertThat(Breaker.probeBackoff(Duration.ofSeconds(60)).apply(9)).isEqualTo(60_000L);
    }

    @Test
    void aDependencyThatComesBackIsUsedAgainWithinTheCap() throws Exception {
        Vertx vertx = Vertx.vertx();
        try {
            Breaker b = new Breaker(vertx, "test", 3, Duration.ofSeconds(2), 1, 1000, null, () -> false,
                    new SimpleMeterRegistry());
            boolean[] up = {false};
            java.util.function.Supplier<Future<String>> call = () -> up[0] ? Future.succeededFuture("ok")
                    : Future.failedFuture(new java.io.IOException("connection refused"));
            for (int i = 0; i < 3; i++) {
                b.call(call).toCompletionStage().toCompletableFuture().handle((v, e) -> v).get(5, TimeUnit.SECONDS);
            }
            assertThat(b.state()).isEqualTo(CircuitBreaker.State.OPEN);
            // Down for 3 s: the probes fail and the waits grow (250, 500, 1000, 2000 ms).
            long downUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
            while (System.nanoTime() < downUntil) {
                b.call(call).toCompletionStage().toCompletableFuture().handle((v, e) -> v).get(5, TimeUnit.SECONDS);
                Thread.sleep(20);
            }
            up[0] = true;
            long back = System.nanoTime();
            while (b.state() != CircuitBreaker.State.CLOSED && System.nanoTime() - back < TimeUnit.SECONDS.toNanos(5)) {
                b.call(call).toCompletionStage().toCompletableFuture().handle((v, e) -> v).get(5, TimeUnit.SECONDS);
                Thread.sleep(20);
            }
            long tookMs = (System.nanoTime() - back) / 1_000_000;
            assertThat(b.state()).isEqualTo(CircuitBreaker.State.CLOSED);
            assertThat(tookMs).as("closed again within the 2 s cap of the dependency's return").isLessThan(2300);
        } finally {
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
    }
}
