package dev.converge.model;

import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Per-row scoring time of a MOJO with h2o-genmodel on one thread, after a warm-up long enough for the JIT to
 * compile the scoring path (a cold measurement is ten times too high).
 */
public record ScoringLatency(double p50Micros, double p90Micros, double p99Micros, int samples) {
    /** How long to warm up and how many rows to time. */
    public record Plan(int warmupRows, long warmupNanos, int samples) {
        public Plan {
            if (warmupRows < 0 || warmupNanos < 0 || samples < 1) {
                throw new IllegalArgumentException("a latency plan needs warmupRows >= 0, warmupNanos >= 0 and"
                        + " samples >= 1, was " + warmupRows + ", " + warmupNanos + ", " + samples);
            }
        }
    }

    /** Warm-up stops after this many rows even if the time is not up (a pathological model must not hang). */
    private static final int WARMUP_CAP = 2_000_000;

    public static ScoringLatency measure(Mojo mojo, List<Map<String, Object>> rows, Plan plan) {
        if (rows.isEmpty()) {
            throw new IllegalArgumentException("scoring latency needs at least one row");
        }
        long warmEnd = System.nanoTime() + plan.warmupNanos();
        for (int n = 0; (n < plan.warmupRows() || System.nanoTime() < warmEnd) && n < WARMUP_CAP; n++) {
            mojo.raw(rows.get(n % rows.size()));
        }
        long[] nanos = new long[plan.samples()];
        for (int i = 0; i < nanos.length; i++) {
            long t0 = System.nanoTime();
            mojo.raw(rows.get(i % rows.size()));
            nanos[i] = System.nanoTime() - t0;
        }
        Arrays.sort(nanos);
        return new ScoringLatency(at(nanos, 0.50), at(nanos, 0.90), at(nanos, 0.99), nanos.length);
    }

    private static double at(long[] sorted, double q) {
        return sorted[Math.min(sorted.length - 1, (int) (sorted.length * q))] / 1000.0;
    }
}
