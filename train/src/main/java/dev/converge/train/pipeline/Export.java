package dev.converge.train.pipeline;

import dev.converge.contracts.FeatureSchema;
import dev.converge.contracts.FeatureSpec;
import dev.converge.model.ArtifactStore;
import dev.converge.model.MojoInfo;
import dev.converge.registry.ModelReference;
import dev.converge.registry.ModelRegistry;
import dev.converge.registry.ModelVersion;
import dev.converge.registry.NewModelVersion;
import dev.converge.train.Algorithm;
import dev.converge.train.Baselines;
import dev.converge.train.DeployabilityGate;
import dev.converge.train.TrainingTable;
import hex.Model;
import java.nio.file.Files;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import water.fvec.Frame;

/**
 * {@code export}: the champion's MOJO to the artifact store (verified), the deployability gate (genmodel latency
 * within the budget, parity with H2O), registration with reference rows, predictions and baseline histograms, and
 * the promotion policy when one is configured.
 */
public record Export(String artifacts, double scoringBudgetP99Micros, int latencyPasses, int referenceRows,
                     PromotionPolicy autoPromote, String threshold) implements Block {
    static final BlockType TYPE = BlockType.of("export", "1.0", Port.CHAMPION, Port.REGISTERED, o -> {
        BlockOptions promote = o.nested("auto_promote");
        PromotionPolicy policy = null;
        if (promote != null) {
            policy = new PromotionPolicy(promote.number("margin", 0.0, 0, Double.MAX_VALUE),
                    promote.integer("min_holdout_rows", PromotionPolicy.DEFAULT_MIN_HOLDOUT_ROWS, 1));
            promote.done();
        }
        String threshold = o.has("threshold") ? String.valueOf(o.raw("threshold")) : "h2o";
        if (!threshold.equals("h2o") && !dev.converge.train.Trainer.THRESHOLD_CRITERIA.contains(threshold)) {
            double t;
            try {
                t = Double.parseDouble(threshold);
            } catch (NumberFormatException e) {
                throw o.error("threshold", "must be h2o (the MOJO's own: max F1 on the validation rows), a criterion to"
                        + " maximise on the validation rows " + dev.converge.train.Trainer.THRESHOLD_CRITERIA
                        + ", or a number in (0, 1); was '" + threshold + "'");
            }
            if (!(t > 0 && t < 1)) {
                throw o.error("threshold", "a fixed threshold must be within (0, 1), was " + threshold);
            }
        }
        return new Export(o.has("artifacts") ? o.string("artifacts") : null,
                o.numberBetweenExclusive("scoring_budget_p99_us", 5000, 0, Double.POSITIVE_INFINITY),
                o.integer("latency_passes", 20, 1), o.integer("reference_rows", 100, 1), policy, threshold);
    });

    @Override
    public Outcome run(BlockContext ctx, Object input) throws Exception {
        Values.Champion c = (Values.Champion) input;
        Model<?, ?, ?> model = c.best().model();
        Values.Splits s = c.runs().splits();
        TrainingTable table = s.table().table();
        int[][] lastFold = s.folds().get(s.folds().size() - 1);
        ArtifactStore store = new ArtifactStore(artifacts != null ? artifacts : ctx.artifacts());
        ArtifactStore.Stored stored = store.write(ctx.model() + "/" + ctx.sweepId() + ".zip",
                out -> model.getMojo().writeTo(out));
        ArtifactStore.verify(stored.path(), stored.sha256(), stored.size());
        MojoInfo info = MojoInfo.read(stored.path());

        TrainingTable.Reduction reduction = table.reduction();
        ArtifactStore.Stored reducer = null;
        if (reduction != null) { // beside the model's, verified the same way, recorded with it
            reducer = store.write(ctx.model() + "/" + ctx.sweepId() + ".reducer.zip", out -> out.write(reduction.mojo()));
            ArtifactStore.verify(reducer.path(), reducer.sha256(), reducer.size());
        }
        int refRows = Math.min(referenceRows, lastFold[1].length);
        int[] refIdx = Arrays.copyOf(lastFold[1], refRows);
        List<Map<String, Object>> rows = new ArrayList<>();
        List<double[]> inCluster = inClusterPredictions(ctx, model, table, refIdx, rows);
        DeployabilityGate.Result gate = new DeployabilityGate(scoringBudgetP99Micros, latencyPasses)
                .check(stored.path(), reducer == null ? null : reducer.path(), reduction == null ? null
                        : reduction.inputs(), reduction == null ? null : reduction.outputs(), rows, inCluster);
        ctx.log().printf("  deployability gate: %s (genmodel p50 %.1f us, p99 %.1f us per row)%n",
                gate.passed() ? "passed" : "REFUSED: " + gate.reason(), gate.p50Micros(), gate.p99Micros());
        if (!gate.passed()) {
            Files.deleteIfExists(stored.path());
            if (reducer != null) {
                Files.deleteIfExists(reducer.path());
            }
            model.delete();
            return new Outcome(ctx.sweepId(), c.runs().runs(), c.best(), c.metric(), gate, null, false,
                    c.runs().plan(), null);
        }
        ModelRegistry registry = new ModelRegistry(ctx.db().dataSource());
        Map<String, Object> baselines = new LinkedHashMap<>(Baselines.of(table.inputs(), lastFold[0]));
        baselines.put(Baselines.PREDICTION, predictionBaseline(ctx, model, table, lastFold[1]));
        ModelVersion registered = registry.register(version(ctx, c, stored, info, s, reducer),
                new ModelReference(ctx.sweepId(), rows, gate.reference().storedOutputs(), baselines,
                        gate.latency()), ctx.actor());
        ctx.log().printf("  registered %s v%d: %s (sha256 %s, %,d bytes)%n", registered.name(), registered.version(),
                registered.artifactUri(), registered.artifactSha256().substring(0, 12), registered.artifactSize());
        PromotionPolicy.Decision promotion = autoPromote != null
                ? autoPromote.apply(registry, registered, c.metric(), ctx.actor(), ctx.log())
                : new PromotionPolicy.Decision(false, "the pipeline's export has no auto_promote: versions are"
                        + " promoted by hand");
        model.delete();
        return new Outcome(ctx.sweepId(), c.runs().runs(), c.best(), c.metric(), gate, registered,
                promotion.promote(), c.runs().plan(), promotion.reason());
    }

    /**
     * The predictions' own baseline, from the model's predictions on the last fold's held-out rows: what serving's
     * predictions drift from ({@link Baselines#PREDICTION}).
     */
    private static Map<String, Object> predictionBaseline(BlockContext ctx, Model<?, ?, ?> model, TrainingTable table,
                                                          int[] heldOut) {
        Frame frame = table.toFrame(heldOut, "prediction_baseline_" + ctx.sweepId());
        Frame preds = model.score(frame);
        try {
            Map<String, Object> b;
            if (!table.classification()) {
                double[] v = new double[heldOut.length];
                for (int i = 0; i < v.length; i++) {
                    v[i] = preds.vec(0).at(i);
                }
                b = new LinkedHashMap<>(Baselines.numeric(v));
                b.put("source", "value");
            } else if (preds.numCols() == 3) { // predict, p(class 0), p(class 1)
                double[] v = new double[heldOut.length];
                for (int i = 0; i < v.length; i++) {
                    v[i] = preds.vec(2).at(i);
                }
                b = new LinkedHashMap<>(Baselines.numeric(v));
                b.put("source", "probability");
                b.put("class", preds.vec(0).domain()[1]);
            } else {
                String[] labels = new String[heldOut.length];
                for (int i = 0; i < labels.length; i++) {
                    labels[i] = preds.vec(0).isNA(i) ? null : preds.vec(0).domain()[(int) preds.vec(0).at8(i)];
                }
                b = new LinkedHashMap<>(Baselines.categorical(labels));
                b.put("source", "label");
            }
            return b;
        } finally {
            preds.delete();
            frame.delete();
        }
    }

    /** H2O's own predictions for the reference rows (the parity check's expectation); fills {@code rows}. */
    private static List<double[]> inClusterPredictions(BlockContext ctx, Model<?, ?, ?> model, TrainingTable table,
                                                       int[] refIdx, List<Map<String, Object>> rows) {
        Frame refFrame = table.toFrame(refIdx, "reference_" + ctx.sweepId());
        List<double[]> inCluster = new ArrayList<>();
        Frame preds = model.score(refFrame);
        try {
            int first = table.classification() ? 1 : 0;
            for (int i = 0; i < refIdx.length; i++) {
                rows.add(table.inputRow(refIdx[i])); // before the reduction: serving's chain reproduces it
                double[] p = new double[(int) preds.numCols() - first];
                for (int k = 0; k < p.length; k++) {
                    p[k] = preds.vec(first + k).at(i);
                }
                inCluster.add(p);
            }
        } finally {
            preds.delete();
            refFrame.delete();
        }
        return inCluster;
    }

    private NewModelVersion version(BlockContext ctx, Values.Champion c, ArtifactStore.Stored stored,
                                           MojoInfo info, Values.Splits s, ArtifactStore.Stored reducer) {
        TrainingTable table = s.table().table();
        int[] lastTrain = s.folds().get(s.folds().size() - 1)[0];
        Instant start = Arrays.stream(lastTrain).mapToObj(i -> table.times()[i]).min(Instant::compareTo).orElseThrow();
        Instant end = Arrays.stream(lastTrain).mapToObj(i -> table.times()[i]).max(Instant::compareTo).orElseThrow();
        Map<String, Object> metrics = new LinkedHashMap<>();
        c.best().metrics().forEach((k, v) -> {
            if (!k.equals("folds")) {
                metrics.put(k, v);
            }
        });
        metrics.put("selection_metric", c.metric().wireName());
        if (!table.derived().isEmpty()) { // serving computes them with the same code
            metrics.put("derived_features", table.derived().stream().map(
                    dev.converge.contracts.DerivedFeature::toMap).toList());
        }
        if (reducer != null) { // serving loads, verifies and chains it in front of the model
            TrainingTable.Reduction r = table.reduction();
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("method", r.method());
            m.put("artifact_uri", reducer.uri().toString());
            m.put("artifact_sha256", reducer.sha256());
            m.put("artifact_size", reducer.size());
            m.put("inputs", r.inputs());
            m.put("outputs", r.outputs());
            m.put("variance_kept", r.varianceKept());
            m.put("fitted_rows", r.fittedRows());
            metrics.put("reducer", m);
        }
        if (!s.table().featureSet().isEmpty()) { // serving looks its entities up in this set
            metrics.put("feature_set", s.table().featureSet());
        }
        decideThreshold(c, c.best().model(), table.positiveClass(), metrics);
        metrics.put("sweep_id", ctx.sweepId().toString());
        metrics.put("runs", c.runs().runs().size());
        metrics.put("split", s.kind());
        metrics.put("label", table.label().name());
        metrics.put("classes", table.classification() ? Arrays.asList(table.label().domain()) : List.of());
        Algorithm algo = c.best().config().algorithm();
        String algorithm = algo.wireName() + (algo == Algorithm.AUTOML ? ":" + c.best().metrics()
                .get("model_algorithm") : "");
        return new NewModelVersion(ctx.model(), algorithm, stored.uri().toString(), stored.sha256(), stored.size(),
                info.h2oVersion(), info.mojoVersion(), ctx.gitCommit(), inputSchema(s.table()), start, end, metrics);
    }

    /**
     * A binomial model's threshold and positive class, recorded with it: the MOJO's own threshold (H2O's max F1, on the
     * validation rows when the model had them) by
     * default, the value that maximises the chosen criterion on the validation rows, or a fixed number. Serving
     * labels with it and returns it in every answer.
     */
    private void decideThreshold(Values.Champion c, Model<?, ?, ?> model, String positiveClass,
                                 Map<String, Object> metrics) {
        @SuppressWarnings("unchecked")
        Map<String, Double> onValidation = (Map<String, Double>) c.best().metrics().get("thresholds_on_validation");
        if (onValidation == null) {
            return; // not a binomial model
        }
        metrics.put("positive_class", positiveClass);
        String h2o = h2oThresholdWords(model, onValidation);
        if (threshold.equals("h2o")) {
            metrics.put("threshold", model.defaultThreshold());
            metrics.put("threshold_metric", h2o);
        } else if (onValidation.containsKey(threshold)) {
            metrics.put("threshold", onValidation.get(threshold));
            metrics.put("threshold_metric", "max " + threshold + " on the validation rows");
        } else if (dev.converge.train.Trainer.THRESHOLD_CRITERIA.contains(threshold)) {
            metrics.put("threshold", model.defaultThreshold());
            metrics.put("threshold_metric", h2o + " (no " + threshold + " on the validation rows)");
        } else {
            metrics.put("threshold", Double.parseDouble(threshold));
            metrics.put("threshold_metric", "fixed by the pipeline");
        }
    }

    /**
     * Where H2O's own threshold comes from, said from the numbers: H2O takes max F1 on the validation metrics when the
     * model has them, else on the training metrics, unless the algorithm set one of its own.
     */
    static String h2oThresholdWords(Model<?, ?, ?> model, Map<String, Double> onValidation) {
        double t = model.defaultThreshold();
        if (onValidation.get("f1") != null && onValidation.get("f1") == t) {
            return "h2o: max f1 on the validation rows";
        }
        if (model._output._validation_metrics instanceof hex.ModelMetricsBinomial v && v._auc != null
                && v._auc.defaultThreshold() == t) { // AutoML without folds holds out its own share of the training rows
            return "h2o: max f1 on the validation rows H2O held out itself (AutoML: a share of the training rows)";
        }
        if (model._output._training_metrics instanceof hex.ModelMetricsBinomial b && b._auc != null
                && b._auc.defaultThreshold() == t) {
            return "h2o: max f1 on the training rows";
        }
        return "h2o: the algorithm's own default threshold";
    }

    /** The schema of the features the model was trained on, as the store defined them. */
    private static FeatureSchema inputSchema(Values.Table t) {
        List<FeatureSpec> used = new ArrayList<>();
        for (TrainingTable.Column col : t.table().inputs().features()) { // derived columns are recorded apart
            dev.converge.contracts.FeatureEncoding.source(t.schema(), col.name())
                    .filter(spec -> !used.contains(spec)).ifPresent(used::add); // a vector once, for its n columns
        }
        return new FeatureSchema(used, t.schema().missingValues()); // serving reads "NA" as ingestion did
    }
}
