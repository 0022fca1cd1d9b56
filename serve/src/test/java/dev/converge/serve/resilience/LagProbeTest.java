package dev.converge.serve.resilience;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class LagProbeTest {
    @Test
    void onePauseIsNotABacklogTicksLateForAnIntervalAre() throws Exception {
        Vertx vertx = Vertx.vertx();
        SimpleMeterRegistry metrics = new SimpleMeterRegistry();
        try {
            LagProbe probe = new LagProbe(Timer.builder("lag").register(metrics), Counter.builder("blocked")
                    .register(metrics), 1000, 5, new LoopLag());
            io.vertx.core.Context loop = vertx.getOrCreateContext(); // one event loop for the probe and the stalls
            loop.runOnContext(v -> probe.start(vertx));
            Thread.sleep(3 * LagProbe.PERIOD_MS);
            assertThat(onLoop(loop, probe::lagging)).as("an idle loop").isFalse();

            // One stall: its missed ticks fire late at one instant, then the loop is free again.
            CompletableFuture<Boolean> atStallEnd = new CompletableFuture<>();
            loop.runOnContext(v -> {
                sleep(LagProbe.PERIOD_MS * 3);
                atStallEnd.complete(probe.lagging());
            });
            assertThat(atStallEnd.get(5, TimeUnit.SECONDS)).as("one pause, at its end").isFalse();
            Thread.sleep(LagProbe.PERIOD_MS * 2);
            assertThat(onLoop(loop, probe::lagging)).as("after one pause").isFalse();

            // A backlog: slices of work due faster than they run (a 30 ms slice every 20 ms, at a fixed rate, like
            // the probe), so the loop is never idle and tick after tick fires late between slices.
            CompletableFuture<Boolean> sawLag = new CompletableFuture<>();
            long[] slices = {0};
            loop.runOnContext(v -> vertx.setPeriodic(LagProbe.PERIOD_MS, id -> {
                sleep(LagProbe.PERIOD_MS + 10);
                if (probe.lagging() || ++slices[0] == 30) { // at the end of a slice, the next tick is overdue
                    sawLag.complete(probe.lagging());
                    vertx.cancelTimer(id);
                }
            }));
            assertThat(sawLag.get(10, TimeUnit.SECONDS)).as("ticks late one after another").isTrue();
            assertThat(slices[0]).as("not before the backlog lasted 100 ms").isGreaterThanOrEqualTo(3);

            Thread.sleep(LagProbe.PERIOD_MS * 4);
            assertThat(onLoop(loop, probe::lagging)).as("recovered").isFalse();
        } finally {
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
    }

    private static <T> T onLoop(io.vertx.core.Context loop, java.util.function.Supplier<T> s) throws Exception {
        CompletableFuture<T> f = new CompletableFuture<>();
        loop.runOnContext(v -> f.complete(s.get()));
        return f.get(5, TimeUnit.SECONDS);
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
