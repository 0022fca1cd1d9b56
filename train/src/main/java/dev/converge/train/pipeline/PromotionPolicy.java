package dev.converge.train.pipeline;

import dev.converge.registry.ModelRegistry;
import dev.converge.registry.ModelVersion;
import dev.converge.train.Metric;
import java.util.Optional;

/**
 * {@code auto_promote: {margin, min_holdout_rows}}: a newly registered version becomes the champion when there is
 * none yet, or when it beats the champion's selection metric by at least the margin, and never when it was measured
 * on fewer than {@code min_holdout_rows} (default 100) holdout rows, nor, for regression, when it is worse than
 * always predicting the mean. The decision and its numbers are the event's reason.
 */
public record PromotionPolicy(double margin, int minHoldoutRows) {
    public static final int DEFAULT_MIN_HOLDOUT_ROWS = 100;

    public PromotionPolicy {
        if (!(margin >= 0)) {
            throw new IllegalArgumentException("auto_promote margin must be >= 0, was " + margin);
        }
        if (minHoldoutRows < 1) {
            throw new IllegalArgumentException("auto_promote min_holdout_rows must be >= 1, was " + minHoldoutRows);
        }
    }

    public PromotionPolicy(double margin) {
        this(margin, DEFAULT_MIN_HOLDOUT_ROWS);
    }

    /** The reason to promote {@code candidate}, or empty (with why in {@code log}) when it should not be. */
    public Optional<String> decide(ModelVersion candidate, Optional<ModelVersion> champion, Metric metric,
                                   java.io.PrintStream log) {
        double value = ((Number) candidate.metrics().get(metric.wireName())).doubleValue();
        if (candidate.metrics().get("holdout_rows") instanceof Number rows && rows.longValue() < minHoldoutRows) {
            log.printf("  not promoted: measured on %,d holdout rows, fewer than auto_promote.min_holdout_rows (%,d):"
                    + " too few to trust %s %.5f%n", rows.longValue(), minHoldoutRows, metric, value);
            return Optional.empty();
        }
        if (Boolean.TRUE.equals(candidate.metrics().get("worse_than_mean"))) {
            log.printf("  not promoted: RMSE %.5f is worse than always predicting the mean (%.5f); R^2 %s%n", value,
                    ((Number) candidate.metrics().get("mean_baseline_rmse")).doubleValue(),
                    candidate.metrics().get("r2"));
            return Optional.empty();
        }
        if (champion.isEmpty()) {
            return Optional.of("auto-promoted: first champion (" + metric + " " + value + ")");
        }
        ModelVersion current = champion.get();
        if (!(current.metrics().get(metric.wireName()) instanceof Number n)) {
            log.printf("  not promoted: champion v%d has no %s to compare%n", current.version(), metric);
            return Optional.empty();
        }
        double gain = metric.gain(value, n.doubleValue());
        if (gain < margin) {
            log.printf("  not promoted: %s %.5f vs champion v%d %.5f, gain %.5f below margin %.5f%n", metric, value,
                    current.version(), n.doubleValue(), gain, margin);
            return Optional.empty();
        }
        return Optional.of(String.format("auto-promoted: %s %.5f beats v%d %.5f by %.5f (margin %.5f)", metric, value,
                current.version(), n.doubleValue(), gain, margin));
    }

    /** Applies the decision in the registry; returns whether the version was promoted. */
    boolean apply(ModelRegistry registry, ModelVersion v, Metric metric, String actor, java.io.PrintStream log)
            throws Exception {
        Optional<String> reason = decide(v, registry.champion(v.name()), metric, log);
        if (reason.isEmpty()) {
            return false;
        }
        registry.promote(v.name(), v.version(), actor, reason.get());
        log.println("  " + reason.get() + " (NOTIFY " + ModelRegistry.CHANNEL + ")");
        return true;
    }
}
