package dev.converge.train;

import java.util.Arrays;
import java.util.Locale;

/** The holdout metrics a champion can be chosen by, and which way is better. */
public enum Metric {
    AUC(true),
    LOGLOSS(false),
    RMSE(false);

    private final boolean higherIsBetter;

    Metric(boolean higherIsBetter) {
        this.higherIsBetter = higherIsBetter;
    }

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public boolean higherIsBetter() {
        return higherIsBetter;
    }

    /** How much better {@code candidate} is than {@code incumbent} (positive when better). */
    public double gain(double candidate, double incumbent) {
        return higherIsBetter ? candidate - incumbent : incumbent - candidate;
    }

    /** AUC for two classes, log loss for more, RMSE for regression. */
    public static Metric defaultFor(boolean classification, int classes) {
        return !classification ? RMSE : classes == 2 ? AUC : LOGLOSS;
    }

    public static Metric fromWireName(String name) {
        for (Metric m : values()) {
            if (m.wireName().equals(name)) {
                return m;
            }
        }
        throw new IllegalArgumentException("metric must be one of " + Arrays.stream(values()).map(Metric::wireName)
                .toList() + ", was '" + name + "'");
    }

    @Override
    public String toString() {
        return wireName();
    }
}
