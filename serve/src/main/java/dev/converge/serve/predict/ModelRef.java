package dev.converge.serve.predict;

/**
 * Which model version answered, as which variant of its deployment ({@code champion}, {@code challenger}, or
 * {@code pinned} when the request chose the version), and for a binomial model the threshold its label was decided
 * with (the positive class when its probability is at least this) and what it maximises ({@code thresholdMetric}),
 * and which class is the positive one ({@code positiveClass}: the class the threshold, AUC and the probability of a
 * positive answer are about), else nulls.
 */
public record ModelRef(String name, int version, Double threshold, String thresholdMetric, String positiveClass,
                       String variant) {
    public static final String CHAMPION = "champion";
    public static final String CHALLENGER = "challenger";
    public static final String SHADOW = "shadow";
    public static final String PINNED = "pinned";

    public ModelRef(String name, int version, Double threshold, String thresholdMetric, String variant) {
        this(name, version, threshold, thresholdMetric, null, variant);
    }

    public ModelRef(String name, int version, Double threshold, String thresholdMetric) {
        this(name, version, threshold, thresholdMetric, null, CHAMPION);
    }

    public ModelRef(String name, int version) {
        this(name, version, null, null);
    }

    public ModelRef as(String v) {
        return v.equals(variant) ? this : new ModelRef(name, version, threshold, thresholdMetric, positiveClass, v);
    }
}
