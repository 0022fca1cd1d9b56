package dev.converge.serve.resilience;

import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/**
 * A dependency's per-call timeout from what it measurably does: {@code multiple} times the p99 of its recent
 * successful calls, never below the configured floor nor above the ceiling. A database that is slow because its
 * machine is busy (CPU starved, a checkpoint) answers later but answers: its successes move the p99, the timeout
 * follows, and a by-id request waits for its features instead of being degraded with the database healthy. A
 * database that hangs produces no successes, so its timeout stays where its healthy calls put it; one that refuses
 * connections fails at once, whatever the timeout. Thread-safe: calls end on several event loops.
 */
public final class AdaptiveTimeout {
    static final int WINDOW = 256;
    static final int RECOMPUTE_EVERY = 32;
    static final double MULTIPLE = 3.0;

    private final long floorNanos;
    private final long ceilingNanos;
    private final long[] recent = new long[WINDOW];
    private int size;
    private int next;
    private int sinceRecompute;
    private volatile long current;

    /** @param floorMillis the configured timeout, the least it can be; @param ceilingMillis the most it can be */
    public AdaptiveTimeout(long floorMillis, long ceilingMillis) {
        if (ceilingMillis < floorMillis) {
            throw new IllegalArgumentException("a timeout's ceiling (" + ceilingMillis + " ms) is below its floor ("
                    + floorMillis + " ms)");
        }
        this.floorNanos = TimeUnit.MILLISECONDS.toNanos(floorMillis);
        this.ceilingNanos = TimeUnit.MILLISECONDS.toNanos(ceilingMillis);
        this.current = floorNanos;
    }

    /** The timeout for a call starting now. */
    public long nanos() {
        return current;
    }

    public long millis() {
        return Math.max(1, TimeUnit.NANOSECONDS.toMillis(current));
    }

    public long floorMillis() {
        return TimeUnit.NANOSECONDS.toMillis(floorNanos);
    }

    /** A successful call's duration. */
    public synchronized void succeeded(long nanos) {
        recent[next] = nanos;
        next = (next + 1) % WINDOW;
        size = Math.min(size + 1, WINDOW);
        if (++sinceRecompute >= RECOMPUTE_EVERY || size < RECOMPUTE_EVERY) {
            sinceRecompute = 0;
            long[] sorted = Arrays.copyOf(recent, size);
            Arrays.sort(sorted);
            long p99 = sorted[Math.max(0, (int) Math.ceil(0.99 * size) - 1)];
            current = Math.max(floorNanos, Math.min(ceilingNanos, (long) (MULTIPLE * p99)));
        }
    }
}
