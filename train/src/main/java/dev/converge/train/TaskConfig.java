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
