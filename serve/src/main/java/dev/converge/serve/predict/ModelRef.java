package dev.converge.serve.predict;

/**
 * Which model version answered, and for a binomial model the threshold its label was decided with (the positive
 * class when its probability is at least this) and what it maximises ({@code thresholdMetric}), else nulls.
 */
public record ModelRef(String name, int version, Double threshold, String thresholdMetric) {
    public ModelRef(String name, int version) {
        this(name, version, null, null);
    }
}
