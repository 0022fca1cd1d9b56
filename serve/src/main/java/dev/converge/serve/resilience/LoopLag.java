package dev.converge.serve.resilience;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * How late this server's event loops have run recently, shared by all of them: the largest lag any loop's
 * {@link LagProbe} measured in the current and the previous 100 ms window. A dependency call that timed out while
 * a loop ran late by a good part of the timeout timed out on our side (the reply sat unread), so it is our
 * overload to shed, not the dependency's failure to count against its breaker.
 */
public final class LoopLag {
    private static final long WINDOW_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    /** [window index, max lag] for the current window and the previous one, by window parity. */
    private final AtomicLongArray windows = new AtomicLongArray(4);
    /** The largest lag since {@link #takeIntervalMax()} last read it. */
    private final java.util.concurrent.atomic.AtomicLong intervalMax = new java.util.concurrent.atomic.AtomicLong();
    /** Time the loops could not run since {@link #takeBlocked()} (a tick's ordinary jitter of a few ms aside). */
    private final java.util.concurrent.atomic.AtomicLong blocked = new java.util.concurrent.atomic.AtomicLong();
    private static final long PERIOD_SLACK_NANOS = TimeUnit.MILLISECONDS.toNanos(5);

    /** A tick of some event loop ran {@code lateByNanos} late, at {@code now}. Thread-safe. */
    public void report(long lateByNanos, long now) {
        report(lateByNanos, now, 0);
    }

    /** The same, with the stretch of time the loop was newly counted as blocked for. */
    public void report(long lateByNanos, long now, long blockedNanos) {
        if (blockedNanos > PERIOD_SLACK_NANOS) {
            blocked.addAndGet(blockedNanos);
        }
        long w = now / WINDOW_NANOS;
        int slot = (int) (w & 1) * 2;
        long seen = windows.get(slot);
        if (seen != w) {
            windows.set(slot, w);
            windows.set(slot + 1, 0);
        }
        windows.accumulateAndGet(slot + 1, lateByNanos, Math::max);
        intervalMax.accumulateAndGet(lateByNanos, Math::max);
    }

    /** Loop-time blocked since the last call, summed over the loops (latency attribution reads it once an interval). */
    public long takeBlocked() {
        return blocked.getAndSet(0);
    }

    /** The largest lag any loop reported since the last call (latency attribution reads it once an interval). */
    public long takeIntervalMax() {
        return intervalMax.getAndSet(0);
    }

    /** The largest lag reported in the current or the previous window. */
    public long recentMaxNanos(long now) {
        long w = now / WINDOW_NANOS;
        long max = 0;
        for (int slot = 0; slot < 4; slot += 2) {
            long sw = windows.get(slot);
            if (sw == w || sw == w - 1) {
                max = Math.max(max, windows.get(slot + 1));
            }
        }
        return max;
    }
}
