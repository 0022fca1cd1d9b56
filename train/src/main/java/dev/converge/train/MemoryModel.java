package dev.converge.train;

/**
 * The heap a training task needs, from the size of its training data and its algorithm:
 * {@code bytes = rows x columns x 8 x factor + fixed}. The factors and fixed parts were calibrated from measured
 * runs (peak heap above the baseline, sampled every 20 ms during serial sweeps); see
 * {@code docs/decisions/0005-training-memory-governor.md}. XGBoost's native memory is outside the heap and is
 * budgeted by {@code converge memory-split} instead.
 */
public final class MemoryModel {
    private MemoryModel() {}

    /** The estimate for an algorithm named as in a pipeline ("gbm"). */
    public static long estimate(String algorithm, long rows, int columns) {
        return estimate(Algorithm.fromWireName(algorithm), rows, columns);
    }

    public static long estimate(Algorithm algorithm, long rows, int columns) {
        double cells = (double) rows * Math.max(1, columns) * 8;
        double[] f = switch (algorithm) {
            case GBM, DRF -> new double[] {2.0, 32};
            case XGBOOST -> new double[] {1.5, 32};
            case GLM -> new double[] {0.5, 16};
            case AUTOML -> new double[] {4.0, 64};
        };
        return (long) (cells * f[0] + f[1] * (1 << 20));
    }
}
