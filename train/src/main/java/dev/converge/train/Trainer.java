package dev.converge.train;

import ai.h2o.automl.Algo;
import ai.h2o.automl.AutoML;
import ai.h2o.automl.AutoMLBuildSpec;
import hex.Model;
import hex.ModelMetrics;
import hex.ModelMetricsBinomial;
import hex.ModelMetricsMultinomial;
import hex.ScoreKeeper;
import hex.glm.GLM;
import hex.glm.GLMModel;
import hex.tree.drf.DRF;
import hex.tree.drf.DRFModel;
import hex.tree.gbm.GBM;
import hex.tree.gbm.GBMModel;
import hex.tree.xgboost.XGBoost;
import hex.tree.xgboost.XGBoostModel;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import water.fvec.Frame;

/** Trains one {@link TaskConfig} on a train frame, and measures it on a holdout frame. */
public final class Trainer {
    private Trainer() {}

    /** A trained model and its holdout metrics. For AutoML, the best deployable model of its leaderboard. */
    public record Trained(Model<?, ?, ?> model, Map<String, Object> metrics) {}

    /**
     * A training's handle for whoever waits on it: the H2O job it runs, so that a timeout stops the job through H2O
     * (interrupting the waiting thread does not: the job would keep its threads, heap and CPU while its frames
     * are deleted under it), and the runtime cap every model gets unless its task sets one.
     */
    public static final class Watch {
        private final double defaultMaxRuntimeSecs;
        private volatile water.Job<?> job;
        private volatile boolean stopped;
        private volatile long startedNanos;

        public Watch(double defaultMaxRuntimeSecs) {
            this.defaultMaxRuntimeSecs = defaultMaxRuntimeSecs;
        }

        /** Marks the task as running (its clock starts now, not when it was queued). */
        public void begin() {
            startedNanos = System.nanoTime();
        }

        /** When the task started running, or 0 while it waits in the queue. */
        public long startedNanos() {
            return startedNanos;
        }

        <J extends water.Job<?>> J running(J j) {
            job = j;
            if (stopped) {
                j.stop();
            }
            return j;
        }

        /** Asks H2O to stop the running job (and any job the task would start after this). */
        public void stop() {
            stopped = true;
            water.Job<?> j = job;
            if (j != null && j.isRunning()) {
                j.stop();
            }
        }

        public boolean stopped() {
            return stopped;
        }
    }

    public static Trained train(TaskConfig task, Frame train, Frame holdout, String response) {
        return train(task, train, holdout, holdout, response, new Watch(0));
    }

    /**
     * Trains on {@code train}; early stopping, GLM's lambda search and AutoML's ranking look at {@code validation};
     * the metrics are measured on {@code test}, which no step of training saw (unless the caller passes the same
     * frame for both).
     */
    public static Trained train(TaskConfig task, Frame train, Frame validation, Frame test, String response,
                                Watch watch) {
        Frame holdout = validation;
        String chosen = null;
        Model<?, ?, ?> model = switch (task.algorithm()) {
            case GBM -> {
                GBMModel.GBMParameters p = new GBMModel.GBMParameters();
                common(p, task, train, holdout, response, watch);
                p._ntrees = TaskConfig.intParam(task.params(), "ntrees", 50);
                p._max_depth = TaskConfig.intParam(task.params(), "max_depth", 5);
                p._learn_rate = TaskConfig.doubleParam(task.params(), "learn_rate", 0.1);
                p._sample_rate = TaskConfig.doubleParam(task.params(), "sample_rate", 1.0);
                p._col_sample_rate = TaskConfig.doubleParam(task.params(), "col_sample_rate", 1.0);
                p._min_rows = TaskConfig.doubleParam(task.params(), "min_rows", 10);
                p._stopping_rounds = TaskConfig.intParam(task.params(), "stopping_rounds", 0);
                yield watch.running(new GBM(p).trainModel()).get();
            }
            case DRF -> {
                DRFModel.DRFParameters p = new DRFModel.DRFParameters();
                common(p, task, train, holdout, response, watch);
                p._ntrees = TaskConfig.intParam(task.params(), "ntrees", 50);
                p._max_depth = TaskConfig.intParam(task.params(), "max_depth", 10);
                p._min_rows = TaskConfig.doubleParam(task.params(), "min_rows", 1);
                yield watch.running(new DRF(p).trainModel()).get();
            }
            case XGBOOST -> {
                XGBoostModel.XGBoostParameters p = new XGBoostModel.XGBoostParameters();
                common(p, task, train, holdout, response, watch);
                p._ntrees = TaskConfig.intParam(task.params(), "ntrees", 50);
                p._max_depth = TaskConfig.intParam(task.params(), "max_depth", 6);
                p._learn_rate = TaskConfig.doubleParam(task.params(), "learn_rate", 0.3);
                p._eta = p._learn_rate;
                p._sample_rate = TaskConfig.doubleParam(task.params(), "sample_rate", 1.0);
                p._col_sample_rate = TaskConfig.doubleParam(task.params(), "col_sample_rate", 1.0);
                p._min_rows = TaskConfig.doubleParam(task.params(), "min_rows", 1);
                yield watch.running(new XGBoost(p).trainModel()).get();
            }
            case GLM -> {
                GLMModel.GLMParameters p = new GLMModel.GLMParameters();
                common(p, task, train, holdout, response, watch);
                p._family = train.vec(response).isCategorical()
                        ? (train.vec(response).cardinality() == 2 ? GLMModel.GLMParameters.Family.binomial
                        : GLMModel.GLMParameters.Family.multinomial) : GLMModel.GLMParameters.Family.gaussian;
                if (task.params().containsKey("alpha")) {
                    p._alpha = new double[] {TaskConfig.doubleParam(task.params(), "alpha", 0.5)};
                }
                if (task.params().containsKey("lambda")) {
                    p._lambda = new double[] {TaskConfig.doubleParam(task.params(), "lambda", 0)};
                }
                p._lambda_search = TaskConfig.boolParam(task.params(), "lambda_search", false);
                glmOptions(p, task.params());
                chosen = gaussianPath(p, task.params(), train.vec(response).sigma());
                yield watch.running(new GLM(p).trainModel()).get();
            }
            case AUTOML -> automl(task, train, holdout, response, watch);
        };
        Map<String, Object> metrics = holdoutMetrics(model, test);
        metrics.put("validation_rows", validation.numRows());
        Map<String, Double> thresholds = thresholdsOn(model, validation);
        if (!thresholds.isEmpty()) {
            metrics.put("thresholds_on_validation", thresholds);
        }
        if (task.algorithm() == Algorithm.AUTOML) {
            metrics.put("automl_leaderboard", LAST_LEADERBOARD.get());
        }
        if (chosen != null) {
            metrics.put("settings_chosen", chosen);
        }
        return new Trained(model, metrics);
    }

    /**
     * A gaussian GLM's lambda path, fitted to the response's scale. H2O's elastic net penalises the L1 part in the
     * response's units but the L2 part not: lambda_max (where every coefficient is zero) grows with the response's
     * spread, while a lambda's ridge shrinkage (1 / (1 + lambda (1 - alpha))) does not. For a target in the hundreds
     * of thousands, H2O's default path ends at lambda_max * 1e-4, still dividing every coefficient by about six
     * (R^2 0.20 where an unpenalised fit gets 0.77), and its default lambda without a search is larger still (0.02);
     * and the path's early stopping ends the search among the first lambdas, which all leave only the intercept
     * (R^2 -0.003). So, unless the pipeline sets them: no lambda and no search means a search; the path ends at
     * {@code min(1e-4, 1e-2 / sd(y))} of lambda_max, where the shrinkage is about 1%; and the whole path is
     * fitted (early_stopping false), H2O then keeping the lambda best on the validation rows. Returns what was chosen
     * and why, for the run's record and log, or null when nothing was.
     */
    static String gaussianPath(GLMModel.GLMParameters p, Map<String, Object> given, double sd) {
        if (p._family != GLMModel.GLMParameters.Family.gaussian) {
            return null;
        }
        List<String> chosen = new ArrayList<>();
        if (!given.containsKey("lambda") && !given.containsKey("lambda_search")) {
            p._lambda_search = true;
            chosen.add("lambda_search true (no lambda given)");
        }
        if (!p._lambda_search) {
            return null;
        }
        if (!given.containsKey("lambda_min_ratio")) {
            p._lambda_min_ratio = Math.min(1e-4, 1e-2 / Math.max(1.0, sd));
            chosen.add(String.format(java.util.Locale.ROOT, "lambda_min_ratio %.3g (the response's sd %.4g)",
                    p._lambda_min_ratio, sd));
        }
        if (!given.containsKey("early_stopping")) {
            p._early_stopping = false;
            chosen.add("early_stopping false (the whole path; the best lambda on the validation rows)");
        }
        return chosen.isEmpty() ? null : "glm: " + String.join(", ", chosen);
    }

    /** GLM's further options, as H2O names them (validated by {@link TaskConfig}). */
    private static void glmOptions(GLMModel.GLMParameters p, Map<String, Object> o) {
        if (o.containsKey("early_stopping")) {
            p._early_stopping = TaskConfig.boolParam(o, "early_stopping", true);
        }
        if (o.containsKey("nlambdas")) {
            p._nlambdas = TaskConfig.intParam(o, "nlambdas", 100);
        }
        if (o.containsKey("lambda_min_ratio")) {
            p._lambda_min_ratio = TaskConfig.doubleParam(o, "lambda_min_ratio", -1);
        }
        if (o.containsKey("standardize")) {
            p._standardize = TaskConfig.boolParam(o, "standardize", true);
        }
        if (o.containsKey("max_iterations")) {
            p._max_iterations = TaskConfig.intParam(o, "max_iterations", -1);
        }
        if (o.containsKey("solver")) {
            p._solver = GLMModel.GLMParameters.Solver.valueOf((String) o.get("solver"));
        }
        if (o.containsKey("missing_values_handling")) {
            p._missing_values_handling = GLMModel.GLMParameters.MissingValuesHandling.valueOf(
                    (String) o.get("missing_values_handling"));
        }
        if (o.containsKey("intercept")) {
            p._intercept = TaskConfig.boolParam(o, "intercept", true);
        }
        if (o.containsKey("non_negative")) {
            p._non_negative = TaskConfig.boolParam(o, "non_negative", false);
        }
        if (o.containsKey("remove_collinear_columns")) {
            p._remove_collinear_columns = TaskConfig.boolParam(o, "remove_collinear_columns", false);
        }
        if (o.containsKey("max_active_predictors")) {
            p._max_active_predictors = TaskConfig.intParam(o, "max_active_predictors", -1);
        }
    }

    /** The last AutoML leaderboard built on this thread: model ids in rank order, for the run's record. */
    private static final ThreadLocal<List<String>> LAST_LEADERBOARD = ThreadLocal.withInitial(List::of);

    private static void common(Model.Parameters p, TaskConfig task, Frame train, Frame holdout, String response,
                               Watch watch) {
        p._train = train._key;
        p._valid = holdout._key;
        p._response_column = response;
        p._seed = TaskConfig.intParam(task.params(), "seed", 42);
        p._max_runtime_secs = TaskConfig.doubleParam(task.params(), "max_runtime_secs", watch.defaultMaxRuntimeSecs);
    }

    @SuppressWarnings("unchecked")
    private static Model<?, ?, ?> automl(TaskConfig task, Frame train, Frame holdout, String response, Watch watch) {
        AutoMLBuildSpec spec = new AutoMLBuildSpec();
        spec.input_spec.training_frame = train._key;
        spec.input_spec.leaderboard_frame = holdout._key;
        spec.input_spec.response_column = response;
        spec.build_control.nfolds = TaskConfig.intParam(task.params(), "nfolds", 0);
        spec.build_control.project_name = "converge_" + Long.toHexString(System.nanoTime());
        spec.build_control.stopping_criteria.set_max_runtime_secs(
                TaskConfig.doubleParam(task.params(), "max_runtime_secs", 60));
        spec.build_control.stopping_criteria.set_max_models(TaskConfig.intParam(task.params(), "max_models", 0));
        spec.build_control.stopping_criteria.set_seed(TaskConfig.intParam(task.params(), "seed", 42));
        spec.build_control.stopping_criteria.set_stopping_rounds(
                TaskConfig.intParam(task.params(), "stopping_rounds", 3));
        if ("auto".equals(task.params().get("stopping_tolerance")) || !task.params().containsKey("stopping_tolerance")) {
            spec.build_control.stopping_criteria.set_default_stopping_tolerance_for_frame(train);
        } else {
            spec.build_control.stopping_criteria.set_stopping_tolerance(
                    TaskConfig.doubleParam(task.params(), "stopping_tolerance", 0.001));
        }
        spec.build_control.stopping_criteria.set_stopping_metric(ScoreKeeper.StoppingMetric.valueOf(
                String.valueOf(task.params().getOrDefault("stopping_metric", "AUTO"))));
        List<Algo> excluded = new ArrayList<>();
        for (Object a : (List<Object>) task.params().getOrDefault("exclude_algos", List.of())) {
            excluded.add(Algo.valueOf(a.toString()));
        }
        spec.build_models.exclude_algos = excluded.isEmpty() ? null : excluded.toArray(Algo[]::new);
        AutoML aml = AutoML.startAutoML(spec);
        watch.running(aml.job());
        aml.get();
        Model<?, ?, ?>[] ranked = aml.leaderboard().getModels();
        List<String> ids = new ArrayList<>();
        for (Model<?, ?, ?> m : ranked) {
            ids.add(m._key.toString());
        }
        LAST_LEADERBOARD.set(ids);
        for (Model<?, ?, ?> m : ranked) {
            if (!excluded.isEmpty() && !deployable(m)) {
                continue; // pruned: deeper than the cap
            }
            return m;
        }
        throw new IllegalStateException("AutoML built " + ranked.length + " model(s) and none is deployable"
                + " (max_depth <= " + TaskConfig.MAX_DEPTH_CAP + ")");
    }

    /** Tree models must respect the depth cap; other models pass. */
    static boolean deployable(Model<?, ?, ?> m) {
        if (m._parms instanceof hex.tree.SharedTreeModel.SharedTreeParameters tp) {
            return tp._max_depth <= TaskConfig.MAX_DEPTH_CAP && tp._max_depth > 0;
        }
        if (m._parms instanceof XGBoostModel.XGBoostParameters xp) {
            return xp._max_depth <= TaskConfig.MAX_DEPTH_CAP && xp._max_depth > 0;
        }
        String algo = m._parms.algoName();
        return !algo.equalsIgnoreCase("deeplearning") && !algo.equalsIgnoreCase("stackedensemble");
    }

    /** Criteria a binomial model's threshold can maximise on the validation rows ({@code export.threshold}). */
    public static final List<String> THRESHOLD_CRITERIA = List.of("f1", "f2", "f0point5", "accuracy", "absolute_mcc",
            "min_per_class_accuracy");

    /**
     * For a binomial model, the threshold that maximises each of {@link #THRESHOLD_CRITERIA} on {@code validation}
     * (never on the test rows, which must stay unseen); empty for other models.
     */
    static Map<String, Double> thresholdsOn(Model<?, ?, ?> model, Frame validation) {
        Frame preds = model.score(validation);
        preds.delete();
        if (!(ModelMetrics.getFromDKV(model, validation) instanceof ModelMetricsBinomial b) || b._auc == null) {
            return Map.of();
        }
        Map<String, Double> out = new LinkedHashMap<>();
        for (String c : THRESHOLD_CRITERIA) {
            hex.AUC2.ThresholdCriterion crit = hex.AUC2.ThresholdCriterion.valueOf(c);
            int idx = crit.max_criterion_idx(b._auc);
            if (idx >= 0) {
                out.put(c, b._auc.threshold(idx));
            }
        }
        return out;
    }

    /** Scores the holdout and reads AUC and logloss (classification) or RMSE (regression). */
    public static Map<String, Object> holdoutMetrics(Model<?, ?, ?> model, Frame holdout) {
        Frame preds = model.score(holdout);
        preds.delete();
        ModelMetrics mm = ModelMetrics.getFromDKV(model, holdout);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("model", model._key.toString());
        m.put("algorithm", model._parms.algoName().toLowerCase(java.util.Locale.ROOT));
        if (mm instanceof ModelMetricsBinomial b) {
            m.put("auc", b.auc());
            m.put("logloss", b.logloss());
        } else if (mm instanceof ModelMetricsMultinomial mn) {
            m.put("logloss", mn.logloss());
            if (mn.cm() != null) { // the share of test rows whose most probable class is theirs
                m.put("accuracy", mn.cm().accuracy());
            }
            m.put("mean_per_class_error", mn.mean_per_class_error());
        }
        m.put("rmse", mm.rmse());
        if (mm instanceof hex.ModelMetricsRegression r) {
            // The baseline a regression must beat: always predicting the holdout's mean, whose RMSE is the label's
            // standard deviation there. R^2 below 0 says the same.
            water.fvec.Vec y = holdout.vec(model._parms._response_column);
            double sd = y.sigma() * Math.sqrt(Math.max(0, (y.length() - y.naCnt() - 1.0)
                    / Math.max(1.0, y.length() - y.naCnt())));
            m.put("mae", r.mae());
            m.put("r2", r.r2());
            m.put("mean_baseline_rmse", sd);
            m.put("worse_than_mean", mm.rmse() > sd);
        }
        m.put("holdout_rows", holdout.numRows());
        return m;
    }
}
