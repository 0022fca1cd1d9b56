package dev.converge.train;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Decides how many training tasks may run at once without oversubscribing memory, and refuses a plan before any
 * work starts when even the least it could do would not fit.
 *
 * <p>With capacity C (the heap), baseline B (heap already held, mostly the data frames) and per-task estimates
 * E_i: usable memory is U = 0.8·C − B; at most floor(U / max E_i) tasks run at once (and no more than asked for);
 * the projected peak is B plus the largest estimates that may run together. A plan whose projected peak exceeds
 * 80% of C is rejected with the numbers.
 */
public final class Governor {
    public static final double PEAK_FRACTION = 0.8;

    /** A checked plan: how many tasks run at once and the memory it projects. */
    public record Plan(long capacityBytes, long baselineBytes, long usableBytes, long largestEstimateBytes,
                       int concurrency, int tasks, long projectedPeakBytes) {
        public String describe() {
            return String.format(java.util.Locale.ROOT, "%d task(s), %d at once: projected peak %s (baseline %s + %d x up to %s)"
                            + " of capacity %s (limit %.0f%% = %s)", tasks, concurrency, mb(projectedPeakBytes),
                    mb(baselineBytes), concurrency, mb(largestEstimateBytes), mb(capacityBytes),
                    PEAK_FRACTION * 100, mb((long) (capacityBytes * PEAK_FRACTION)));
        }
    }

    /** Thrown by {@link #plan} when the plan cannot fit; carries the numbers that decided it. */
    public static final class PlanRejected extends dev.converge.contracts.ConvergeException {
        private final long capacityBytes;
        private final long baselineBytes;
        private final long largestEstimateBytes;

        public PlanRejected(String message, long capacityBytes, long baselineBytes, long largestEstimateBytes) {
            super(message, null);
            this.capacityBytes = capacityBytes;
            this.baselineBytes = baselineBytes;
            this.largestEstimateBytes = largestEstimateBytes;
        }

        @Override
        public String code() {
            return "plan_rejected";
        }

        public long capacityBytes() {
            return capacityBytes;
        }

        public long baselineBytes() {
            return baselineBytes;
        }

        public long largestEstimateBytes() {
            return largestEstimateBytes;
        }
    }

    private final long capacityBytes;

    public Governor(long capacityBytes) {
        if (capacityBytes <= 0) {
            throw new IllegalArgumentException("capacity must be positive, was " + capacityBytes);
        }
        this.capacityBytes = capacityBytes;
    }

    public Plan plan(List<Long> taskEstimates, long baselineBytes, int requestedParallelism) {
        if (taskEstimates.isEmpty()) {
            throw new IllegalArgumentException("a plan needs at least one task");
        }
        if (requestedParallelism < 1) {
            throw new IllegalArgumentException("parallelism must be >= 1, was " + requestedParallelism);
        }
        List<Long> sorted = new ArrayList<>(taskEstimates);
        sorted.sort(Comparator.reverseOrder());
        long largest = sorted.get(0);
        long limit = (long) (capacityBytes * PEAK_FRACTION);
        long usable = limit - baselineBytes;
        if (baselineBytes + largest > limit) {
            throw new PlanRejected(String.format(java.util.Locale.ROOT, "training plan rejected before any work started: projected peak %s"
                            + " (baseline %s + largest task estimate %s) exceeds %.0f%% of capacity %s (%s)."
                            + " Give the training JVM more memory (converge memory-split), or shrink the data or the"
                            + " largest task.", mb(baselineBytes + largest), mb(baselineBytes), mb(largest),
                    PEAK_FRACTION * 100, mb(capacityBytes), mb(limit)), capacityBytes, baselineBytes, largest);
        }
        int slots = (int) Math.min(Integer.MAX_VALUE, usable / largest);
        int concurrency = Math.min(Math.min(slots, requestedParallelism), taskEstimates.size());
        long peak = baselineBytes;
        for (int i = 0; i < concurrency; i++) {
            peak += sorted.get(i);
        }
        return new Plan(capacityBytes, baselineBytes, usable, largest, concurrency, taskEstimates.size(), peak);
    }

    static String mb(long bytes) {
        return String.format(java.util.Locale.ROOT, "%,d MB", bytes >> 20);
    }
}
