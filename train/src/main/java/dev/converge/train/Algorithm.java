package dev.converge.train;

import java.util.Arrays;
import java.util.Locale;
import java.util.Set;

/**
 * The algorithms a training task can run, with the hyperparameters converge passes through for each. One list for
 * the config matrix, the memory model, the trainer and the registry's algorithm name.
 */
public enum Algorithm {
    GBM(Set.of("ntrees", "max_depth", "learn_rate", "sample_rate", "col_sample_rate", "min_rows", "seed",
            "max_runtime_secs", "stopping_rounds")),
    DRF(Set.of("ntrees", "max_depth", "min_rows", "sample_rate", "seed", "max_runtime_secs")),
    XGBOOST(Set.of("ntrees", "max_depth", "learn_rate", "sample_rate", "col_sample_rate", "min_rows", "seed",
            "max_runtime_secs")),
    GLM(Set.of("alpha", "lambda", "lambda_search", "seed", "max_runtime_secs", "early_stopping", "nlambdas",
            "lambda_min_ratio", "standardize", "max_iterations", "solver", "missing_values_handling", "intercept",
            "non_negative", "remove_collinear_columns", "max_active_predictors")),
    AUTOML(Set.of("max_runtime_secs", "max_models", "exclude_algos", "stopping_metric", "stopping_tolerance",
            "stopping_rounds", "seed", "nfolds"));

    private final Set<String> params;

    Algorithm(Set<String> params) {
        this.params = params;
    }

    /** The name in pipelines, the registry and logs: "gbm", "automl". */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public Set<String> params() {
        return params;
    }

    public static Algorithm fromWireName(String name) {
        for (Algorithm a : values()) {
            if (a.wireName().equals(name)) {
                return a;
            }
        }
        throw new IllegalArgumentException("unknown algorithm '" + name + "'; expected one of "
                + Arrays.stream(values()).map(Algorithm::wireName).toList());
    }

    @Override
    public String toString() {
        return wireName();
    }
}
