package dev.converge.serve.predict;

/**
 * Which model version answered, and for a binomial model the threshold its label was decided with (the positive
 * class when its probability is at least this; H2O's max-F1 threshold on the training data), else null.
 */
public record ModelRef(String name, int version, Double threshold) {
    public ModelRef(String name, int version) {
        this(name, version, null);
    }
}
