package dev.converge.serve.impl;

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
                    .register(metrics), 1000, 5);
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

            // A backlog: the loop held busy in slices, so tick after tick fires late.
            CompletableFuture<Boolean> sawLag = new CompletableFuture<>();
            loop.runOnContext(v -> busySlices(vertx, probe, 12, sawLag));
            assertThat(sawLag.get(10, TimeUnit.SECONDS)).as("ticks late one after another").isTrue();

            Thread.sleep(LagProbe.PERIOD_MS * 4);
            assertThat(onLoop(loop, probe::lagging)).as("recovered").isFalse();
        } finally {
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
    }

    /** Keeps the loop busy 30 ms at a time, yielding to timers between slices, and watches for lagging(). */
    private static void busySlices(Vertx vertx, LagProbe probe, int left, CompletableFuture<Boolean> sawLag) {
        sleep(LagProbe.PERIOD_MS + 10);
        if (probe.lagging()) { // at the end of a slice, the next tick is overdue
            sawLag.complete(true);
            return;
        }
        if (left == 0) {
            sawLag.complete(false);
            return;
        }
        // the next slice as a timer, so the probe's due tick runs between slices (queued tasks would starve it)
        vertx.setTimer(1, id -> busySlices(vertx, probe, left - 1, sawLag));
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
