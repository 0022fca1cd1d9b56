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

    /** Whether to promote, and why (or why not), in words a person reads in the run's log and in `train`'s summary. */
    public record Decision(boolean promote, String reason) {}

    /** The reason to promote {@code candidate}, or empty (with why in {@code log}) when it should not be. */
    public Optional<String> decide(ModelVersion candidate, Optional<ModelVersion> champion, Metric metric,
                                   java.io.PrintStream log) {
        Decision d = judge(candidate, champion, metric);
        if (!d.promote()) {
            log.println("  not promoted: " + d.reason());
        }
        return d.promote() ? Optional.of(d.reason()) : Optional.empty();
    }

    /** The decision on {@code candidate} against the current champion, with its numbers. */
    public Decision judge(ModelVersion candidate, Optional<ModelVersion> champion, Metric metric) {
        double value = ((Number) candidate.metrics().get(metric.wireName())).doubleValue();
        if (candidate.metrics().get("holdout_rows") instanceof Number rows && rows.longValue() < minHoldoutRows) {
            return new Decision(false, String.format("measured on %,d holdout rows%s, fewer than"
                    + " auto_promote.min_holdout_rows (%,d): too few to trust %s %.5f (set auto_promote:"
                    + " {min_holdout_rows: N} if that many out-of-sample rows are enough, or promote it by hand)",
                    rows.longValue(), candidate.metrics().get("folds") instanceof java.util.List<?> f && f.size() > 1
                            ? " (the test rows of all " + f.size() + " folds together)" : "", minHoldoutRows, metric,
                    value));
        }
        if (Boolean.TRUE.equals(candidate.metrics().get("worse_than_mean"))) {
            return new Decision(false, String.format("RMSE %.5f is worse than always predicting the mean (%.5f);"
                    + " R^2 %s", value, ((Number) candidate.metrics().get("mean_baseline_rmse")).doubleValue(),
                    candidate.metrics().get("r2")));
        }
        if (champion.isEmpty()) {
            return new Decision(true, "auto-promoted: first champion (" + metric + " " + value + ")");
        }
        ModelVersion current = champion.get();
        if (!(current.metrics().get(metric.wireName()) instanceof Number n)) {
            return new Decision(false, "champion v" + current.version() + " has no " + metric + " to compare");
        }
        double gain = metric.gain(value, n.doubleValue());
        if (gain < margin) {
            return new Decision(false, String.format("%s %.5f vs champion v%d %.5f, gain %.5f below margin %.5f",
                    metric, value, current.version(), n.doubleValue(), gain, margin));
        }
        return new Decision(true, String.format("auto-promoted: %s %.5f beats v%d %.5f by %.5f (margin %.5f)", metric,
                value, current.version(), n.doubleValue(), gain, margin));
    }

    /** Applies the decision in the registry; returns it. */
    Decision apply(ModelRegistry registry, ModelVersion v, Metric metric, String actor, java.io.PrintStream log)
            throws Exception {
        Decision d = judge(v, registry.champion(v.name()), metric);
        if (!d.promote()) {
            log.println("  not promoted: " + d.reason());
            return d;
        }
        registry.promote(v.name(), v.version(), actor, d.reason());
        log.println("  " + d.reason() + " (NOTIFY " + ModelRegistry.CHANNEL + ")");
        return d;
    }
}
