package dev.converge.train;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One cell of the config matrix: an algorithm, its hyperparameters and the data segment it trains on. Validates
 * itself: unknown algorithms and parameters are refused, and grids are pruned for deployability (max_depth at most
 * 10, ntrees at most 1000) so that no task can produce a model too slow to serve.
 */
public record TaskConfig(Algorithm algorithm, Map<String, Object> params, String segment) {
    public static final int MAX_DEPTH_CAP = 10;
    public static final int NTREES_CAP = 1000;
    /** AutoML never builds these: DeepLearning MOJOs are slow to score; StackedEnsembles multiply scoring cost. */
    public static final List<String> AUTOML_EXCLUDED_BY_DEFAULT = List.of("DeepLearning", "StackedEnsemble");

    public TaskConfig {
        java.util.Objects.requireNonNull(algorithm, "algorithm");
        params = params == null ? Map.of() : Map.copyOf(params);
        segment = segment == null ? "all" : segment;
        for (String p : params.keySet()) {
            if (!algorithm.params().contains(p)) {
                throw new IllegalArgumentException(algorithm + ": unknown parameter '" + p + "'; known are "
                        + new java.util.TreeSet<>(algorithm.params()));
            }
        }
        if (algorithm == Algorithm.GLM) {
            validateGlm(params);
        }
        if (intParam(params, "max_depth", 0) > MAX_DEPTH_CAP) {
            throw new IllegalArgumentException(algorithm + ": max_depth " + params.get("max_depth")
                    + " exceeds the deployability cap of " + MAX_DEPTH_CAP);
        }
        if (intParam(params, "ntrees", 0) > NTREES_CAP) {
            throw new IllegalArgumentException(algorithm + ": ntrees " + params.get("ntrees")
                    + " exceeds the deployability cap of " + NTREES_CAP);
        }
    }

    /** A task named as in a pipeline file ("gbm"); an unknown name is refused with the known ones. */
    public TaskConfig(String algorithm, Map<String, Object> params, String segment) {
        this(Algorithm.fromWireName(algorithm), params, segment);
    }

    /** AutoML with the deployability defaults filled in where the config is silent. */
    public static TaskConfig automl(Map<String, Object> given) {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("exclude_algos", AUTOML_EXCLUDED_BY_DEFAULT);
        p.put("max_runtime_secs", 60);
        p.put("stopping_metric", "AUTO");
        p.put("stopping_tolerance", "auto"); // H2O's default for the frame: 1/sqrt(rows), at least 0.001
        p.put("stopping_rounds", 3);
        p.put("nfolds", 0);
        p.put("seed", 42);
        p.putAll(given);
        return new TaskConfig(Algorithm.AUTOML, p, "all");
    }

    /** GLM's solvers as H2O names them, and what a missing value becomes. */
    public static final List<String> GLM_SOLVERS = List.of("AUTO", "IRLSM", "L_BFGS", "COORDINATE_DESCENT",
            "COORDINATE_DESCENT_NAIVE", "GRADIENT_DESCENT_LH", "GRADIENT_DESCENT_SQERR");
    public static final List<String> GLM_MISSING = List.of("MeanImputation", "Skip");

    /** Each GLM option's type and range, so a wrong one is refused before any cluster work, naming it. */
    private static void validateGlm(Map<String, Object> p) {
        for (String b : List.of("lambda_search", "early_stopping", "standardize", "intercept", "non_negative",
                "remove_collinear_columns")) {
            boolParam(p, b, false);
        }
        if (intParam(p, "nlambdas", 1) < 1 || intParam(p, "max_iterations", 1) < 1
                || intParam(p, "max_active_predictors", 1) < 1) {
            throw new IllegalArgumentException("glm: nlambdas, max_iterations and max_active_predictors must be >= 1,"
                    + " were " + p.get("nlambdas") + ", " + p.get("max_iterations") + ", "
                    + p.get("max_active_predictors"));
        }
        double ratio = doubleParam(p, "lambda_min_ratio", 0.5);
        if (!(ratio > 0 && ratio < 1)) {
            throw new IllegalArgumentException("glm: lambda_min_ratio must be within (0, 1), was " + ratio);
        }
        doubleParam(p, "alpha", 0.5); // its range is H2O's to refuse, in the run (a failed task never sinks the sweep)
        if (!(doubleParam(p, "lambda", 0) >= 0)) {
            throw new IllegalArgumentException("glm: lambda must be >= 0, was " + p.get("lambda"));
        }
        if (p.containsKey("solver") && !GLM_SOLVERS.contains(String.valueOf(p.get("solver")))) {
            throw new IllegalArgumentException("glm: solver must be one of " + GLM_SOLVERS + ", was " + p.get("solver"));
        }
        if (p.containsKey("missing_values_handling")
                && !GLM_MISSING.contains(String.valueOf(p.get("missing_values_handling")))) {
            throw new IllegalArgumentException("glm: missing_values_handling must be one of " + GLM_MISSING
                    + " (serving scores a missing value with the model's own handling), was "
                    + p.get("missing_values_handling"));
        }
    }

    static boolean boolParam(Map<String, Object> p, String name, boolean dflt) {
        Object v = p.get(name);
        if (v == null) {
            return dflt;
        }
        if (v instanceof Boolean b) {
            return b;
        }
        throw new IllegalArgumentException(name + " must be true or false, was " + v);
    }

    static int intParam(Map<String, Object> p, String name, int dflt) {
        Object v = p.get(name);
        if (v == null) {
            return dflt;
        }
        if (v instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue())) {
            return n.intValue();
        }
        throw new IllegalArgumentException(name + " must be an integer, was " + v);
    }

    static double doubleParam(Map<String, Object> p, String name, double dflt) {
        Object v = p.get(name);
        if (v == null) {
            return dflt;
        }
        if (v instanceof Number n) {
            return n.doubleValue();
        }
        throw new IllegalArgumentException(name + " must be a number, was " + v);
    }

    @Override
    public String toString() {
        return algorithm.wireName() + params + (segment.equals("all") ? "" : "@" + segment);
    }
}
