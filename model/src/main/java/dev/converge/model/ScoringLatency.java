package dev.converge.model;

import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Per-row scoring time of a MOJO with h2o-genmodel on one thread, after a warm-up long enough for the JIT to
 * compile the scoring path (a cold measurement is ten times too high).
 */
public record ScoringLatency(double p50Micros, double p90Micros, double p99Micros, int samples) {
    /**
     * How long to warm up and how many rows to time: warm up for at least {@code warmupRows} rows and
     * {@code warmupNanos}, but stop at {@code budgetNanos} of warm-up whatever the count (a 1 ms model would take
     * 20 s for 20,000 rows, and its JIT is warm long before: every row runs its tree code a thousand times); then
     * time {@code samples} rows, but stop at {@code budgetNanos} of timing once every row has been timed once.
     */
    public record Plan(int warmupRows, long warmupNanos, int samples, long budgetNanos) {
        public Plan {
            if (warmupRows < 0 || warmupNanos < 0 || samples < 1 || budgetNanos < warmupNanos) {
                throw new IllegalArgumentException("a latency plan needs warmupRows >= 0, warmupNanos >= 0,"
                        + " samples >= 1 and budgetNanos >= warmupNanos, was " + warmupRows + ", " + warmupNanos
                        + ", " + samples + ", " + budgetNanos);
            }
        }

        /** No time budget: exactly the rows asked for. */
        public Plan(int warmupRows, long warmupNanos, int samples) {
            this(warmupRows, warmupNanos, samples, Long.MAX_VALUE);
        }
    }

    /** Warm-up stops after this many rows even if the time is not up (a pathological model must not hang). */
    private static final int WARMUP_CAP = 2_000_000;

    public static ScoringLatency measure(Mojo mojo, List<Map<String, Object>> rows, Plan plan) {
        if (rows.isEmpty()) {
            throw new IllegalArgumentException("scoring latency needs at least one row");
        }
        long start = System.nanoTime();
        long warmEnd = start + plan.warmupNanos();
        long warmCap = plan.budgetNanos() == Long.MAX_VALUE ? Long.MAX_VALUE : start + plan.budgetNanos();
        for (int n = 0; (n < plan.warmupRows() || System.nanoTime() < warmEnd) && n < WARMUP_CAP
                && System.nanoTime() < warmCap; n++) {
            mojo.raw(rows.get(n % rows.size()));
        }
        long timeStart = System.nanoTime();
        long timeCap = plan.budgetNanos() == Long.MAX_VALUE ? Long.MAX_VALUE : timeStart + plan.budgetNanos();
        long[] nanos = new long[plan.samples()];
        int taken = 0;
        while (taken < nanos.length && (taken < rows.size() || System.nanoTime() < timeCap)) {
            long t0 = System.nanoTime();
            mojo.raw(rows.get(taken % rows.size()));
            nanos[taken++] = System.nanoTime() - t0;
        }
        nanos = Arrays.copyOf(nanos, taken);
        Arrays.sort(nanos);
        return new ScoringLatency(at(nanos, 0.50), at(nanos, 0.90), at(nanos, 0.99), nanos.length);
    }

    private static double at(long[] sorted, double q) {
        return sorted[Math.min(sorted.length - 1, (int) (sorted.length * q))] / 1000.0;
    }
}
