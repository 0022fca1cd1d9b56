package dev.converge.serve.resilience;

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
 * Vert.x runs periodic timers at a fixed rate and fires the ticks a stall made it miss back to back, so each tick
 * is measured against its own place in the schedule. Ticks late beyond the shedding threshold for 100 ms running
 * mean a standing backlog, not one pause or a short burst: {@link #lagging()}.
 */
public final class LagProbe {
    static final long PERIOD_MS = 20;
    /** How long ticks must run late before it counts as a backlog: CoDel's interval (Nichols and Jacobson). */
    static final long BACKLOG_MS = 100;
    private static final long PERIOD_NANOS = TimeUnit.MILLISECONDS.toNanos(PERIOD_MS);
    private static final Logger LOG = LoggerFactory.getLogger(LagProbe.class);

    private final Timer lag;
    private final Counter lagging;
    private final LoopLag shared;
    private final long warnNanos;
    private final long shedNanos;
    private long expected;
    /** The end of the last stretch this loop was counted as blocked for (no stretch is counted twice). */
    private long blockedUntil;
    private long lastLog;
    private boolean late;
    private long lateSince;

    public LagProbe(Timer lag, Counter lagging, long warnMillis, long shedMillis, LoopLag shared) {
        this.shared = shared;
        this.lag = lag;
        this.lagging = lagging;
        this.warnNanos = TimeUnit.MILLISECONDS.toNanos(warnMillis);
        this.shedNanos = TimeUnit.MILLISECONDS.toNanos(shedMillis);
    }

    /**
     * Whether this loop has a backlog now: every tick for the last {@link #BACKLOG_MS} or more fired later than the
     * shedding threshold (one pause, a GC say, makes its missed ticks fire at one instant: no streak), and the
     * next tick is overdue by more than the threshold too (once the backlog is gone the next tick is on time, and
     * a request arriving then is let in). Read on the loop's own thread.
     */
    public boolean lagging() {
        if (!late) {
            return false;
        }
        long now = System.nanoTime();
        return now - lateSince >= TimeUnit.MILLISECONDS.toNanos(BACKLOG_MS) && now - expected > shedNanos;
    }

    /** Starts on the calling event loop's context; returns the timer id. */
    public long start(Vertx vertx) {
        expected = System.nanoTime() + PERIOD_NANOS;
        return vertx.setPeriodic(PERIOD_MS, id -> tick());
    }

    private void tick() {
        long now = System.nanoTime();
        long lateBy = Math.max(0, now - expected);
        expected += PERIOD_NANOS;
        if (now - expected > TimeUnit.SECONDS.toNanos(1)) {
            expected = now + PERIOD_NANOS; // a timer that skipped its missed ticks: measure from here on
        }
        lag.record(lateBy, TimeUnit.NANOSECONDS);
        if (shared != null) {
            // The loop could not run from (now - lateBy) to now: count that stretch once, whatever ticks report it.
            long blocked = Math.max(0, now - Math.max(now - lateBy, blockedUntil));
            blockedUntil = Math.max(blockedUntil, now);
            shared.report(lateBy, now, blocked);
        }
        if (lateBy <= shedNanos) {
            late = false;
        } else if (!late) {
            late = true;
            lateSince = now;
        }
        if (lateBy > warnNanos) {
            lagging.increment();
            if (now - lastLog > TimeUnit.SECONDS.toNanos(1)) {
                lastLog = now;
                LOG.warn("event loop {} ran {} ms late (threshold {} ms): blocking code on it, a GC pause, or too"
                        + " little CPU (converge_eventloop_lag_seconds, jvm_gc_pause_seconds tell which)",
                        Thread.currentThread().getName(), lateBy / 1_000_000, warnNanos / 1_000_000);
            }
        }
    }
}
