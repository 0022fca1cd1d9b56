package dev.converge.serve.impl;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.Vertx;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Measures event-loop lag: a periodic timer on the event loop that records how late it fires. A tick that fires
 * late by more than the threshold means the loop was held for at least that long without a break: that sustained
 * lag is counted and logged as a warning (at most once a second per loop). Every tick's lag feeds a histogram.
 */
final class LagProbe {
    static final long PERIOD_MS = 20;
    private static final Logger LOG = LoggerFactory.getLogger(LagProbe.class);

    private final Timer lag;
    private final Counter lagging;
    private final long warnNanos;
    private long expected;
    private long lastLog;

    LagProbe(Timer lag, Counter lagging, long warnMillis) {
        this.lag = lag;
        this.lagging = lagging;
        this.warnNanos = TimeUnit.MILLISECONDS.toNanos(warnMillis);
    }

    /** Starts on the calling event loop's context; returns the timer id. */
    long start(Vertx vertx) {
        expected = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(PERIOD_MS);
        return vertx.setPeriodic(PERIOD_MS, id -> tick());
    }

    private void tick() {
        long now = System.nanoTime();
        long late = Math.max(0, now - expected);
        expected = now + TimeUnit.MILLISECONDS.toNanos(PERIOD_MS);
        lag.record(late, TimeUnit.NANOSECONDS);
        if (late > warnNanos) {
            lagging.increment();
            if (now - lastLog > TimeUnit.SECONDS.toNanos(1)) {
                lastLog = now;
                LOG.warn("event loop {} was blocked for {} ms (threshold {} ms): something blocking runs on it",
                        Thread.currentThread().getName(), late / 1_000_000, warnNanos / 1_000_000);
            }
        }
    }
}
