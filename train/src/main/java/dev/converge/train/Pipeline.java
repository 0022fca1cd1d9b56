package dev.converge.train;

import dev.converge.contracts.FeatureSchema;
import dev.converge.contracts.FeatureSpec;
import dev.converge.store.Database;
import dev.converge.model.ArtifactStore;
import dev.converge.model.MojoInfo;
import dev.converge.store.PitRow;
import dev.converge.store.PointInTime;
import dev.converge.store.SchemaRegistry;
import dev.converge.registry.ModelReference;
import dev.converge.registry.ModelRegistry;
import dev.converge.registry.ModelVersion;
import dev.converge.registry.NewModelVersion;
import dev.converge.registry.TrainingRuns;
import hex.Model;
import java.io.PrintStream;
import java.nio.file.Files;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import water.fvec.Frame;

/**
 * Runs a {@link PipelineSpec}: point-in-time load, transformers, split, governed fan-out, reducer, exporter. Each
 * block's value flows to the next; the spec has already been checked for wiring.
 */
public final class Pipeline {
    /** Where a run writes and who it says it is. */
    public record Context(Database db, String artifacts, String actor, String gitCommit, PrintStream log) {}

    /** A task's outcome. {@code model} is the model trained on the last split, kept for export. */
    public record RunOutcome(int index, TaskConfig config, String status, Map<String, Object> metrics, long runtimeMs,
                             String error, Model<?, ?, ?> model) {}

    /** What a whole run did. {@code registered} is null when the gate refused the champion. */
    public record Outcome(UUID sweepId, List<RunOutcome> runs, RunOutcome champion, String metric,
                          DeployabilityGate.Result gate, ModelVersion registered, boolean promoted,
                          Governor.Plan plan) {}

    record Events(List<PitRow> rows, FeatureSchema schema, String label, TrainingTable.LabelRule rule,
                  Set<String> exclude) {}

    record Splits(TrainingTable table, List<int[][]> folds, String kind) {}

    record Runs(Splits splits, List<RunOutcome> runs, Governor.Plan plan) {}

    record Champion(Runs runs, RunOutcome best, String metric) {}

    private final Context ctx;
    private final UUID sweepId = UUID.randomUUID();

    public Pipeline(Context ctx) {
        this.ctx = ctx;
    }

    public Outcome run(PipelineSpec spec) throws Exception {
        Object value = null;
        Champion champion = null;
        for (PipelineSpec.Block b : spec.blocks()) {
            long t0 = System.nanoTime();
            value = switch (b.type()) {
                case "pit_loader" -> load(b.options());
                case "binary_label" -> binaryLabel((Events) value, b.options());
                case "to_table" -> toTable((Events) value);
                case "drop_columns" -> dropColumns((TrainingTable) value, b.options());
                case "random_split" -> randomSplit((TrainingTable) value, b.options());
                case "walk_forward" -> walkForward((TrainingTable) value, b.options());
                case "fan_out" -> fanOut((Splits) value, b.options());
                case "best_run" -> champion = best((Runs) value, b.options());
                case "export" -> export(spec, (Champion) value, b.options());
                default -> throw new IllegalStateException("unhandled block type " + b.type());
            };
            ctx.log().printf("  [%s] %s done in %.1fs%n", b.id(), b.type(), (System.nanoTime() - t0) / 1e9);
        }
        Outcome o = (Outcome) value;
        return o;
    }

    private Events load(Map<String, Object> o) throws Exception {
        String label = required(o, "label");
        FeatureSchema schema = new SchemaRegistry(ctx.db()).latestWith(label).orElseThrow(() ->
                new IllegalStateException("no schema in the feature store defines the label '" + label
                        + "': ingest the data first")).schema();
        schemaForModel = schema;
        PointInTime pit = new PointInTime(ctx.db());
        List<PitRow> rows = new ArrayList<>();
        Instant asOf = o.containsKey("as_of") ? Instant.parse(o.get("as_of").toString()) : null;
        pit.extract(pit.latestEvents(String.valueOf(o.getOrDefault("entity_prefix", ""))).iterator(), asOf, true,
                rows::add);
        ctx.log().printf("  loaded %,d label events (point-in-time, REPEATABLE READ)%n", rows.size());
        Set<String> exclude = new LinkedHashSet<>(strings(o.get("exclude")));
        return new Events(rows, schema, label, null, exclude);
    }

    private Events binaryLabel(Events e, Map<String, Object> o) {
        String negative = required(o, "negative");
        return new Events(e.rows(), e.schema(), e.label(), TrainingTable.LabelRule.notEqual(negative,
                String.valueOf(o.getOrDefault("positive_name", "yes")),
                String.valueOf(o.getOrDefault("negative_name", "no"))), e.exclude());
    }

    private TrainingTable pendingTable;

    private TrainingTable toTable(Events e) {
        pendingTable = TrainingTable.fromPit(e.rows(), e.schema(), e.label(), e.exclude(), e.rule());
        ctx.log().printf("  table: %,d rows x %d features, label '%s'%s%n", pendingTable.rows(),
                pendingTable.features().size(), e.label(), e.exclude().isEmpty() ? "" : ", excluded " + e.exclude());
        return pendingTable;
    }

    private TrainingTable dropColumns(TrainingTable t, Map<String, Object> o) {
        List<String> names = strings(o.get("columns"));
        TrainingTable out = t.without(names);
        ctx.log().printf("  dropped %s: %d features left%n", names, out.features().size());
        return out;
    }

    private Splits randomSplit(TrainingTable t, Map<String, Object> o) {
        double ratio = number(o, "ratio", 0.8);
        long seed = (long) number(o, "seed", 42);
        SplittableRandom rnd = new SplittableRandom(seed);
        List<Integer> train = new ArrayList<>();
        List<Integer> test = new ArrayList<>();
        for (int i = 0; i < t.rows(); i++) {
            (rnd.nextDouble() < ratio ? train : test).add(i);
        }
        return new Splits(t, List.<int[][]>of(new int[][] {ints(train), ints(test)}), "random");
    }

    private Splits walkForward(TrainingTable t, Map<String, Object> o) {
        int folds = (int) number(o, "folds", 2);
        List<int[][]> out = new ArrayList<>();
        for (WalkForward.Fold f : WalkForward.monthly(t.times(), folds)) {
            ctx.log().printf("  fold %d: train %,d rows up to %s, test %,d rows from %s%n", f.number(),
                    f.train().length, f.maxTrainTime(), f.test().length, f.minTestTime());
            out.add(new int[][] {f.train(), f.test()});
        }
        return new Splits(t, out, "walk_forward");
    }

    @SuppressWarnings("unchecked")
    static List<TaskConfig> matrix(Map<String, Object> o) {
        List<TaskConfig> tasks = new ArrayList<>();
        Object m = o.get("matrix");
        if (!(m instanceof List<?> entries) || entries.isEmpty()) {
            throw new IllegalArgumentException("fan_out needs a non-empty 'matrix'");
        }
        for (Object e : entries) {
            Map<String, Object> entry = (Map<String, Object>) e;
            String algo = String.valueOf(entry.get("algorithm"));
            Map<String, Object> params = (Map<String, Object>) entry.getOrDefault("params", Map.of());
            Map<String, Object> grid = (Map<String, Object>) entry.getOrDefault("grid", Map.of());
            List<Map<String, Object>> combos = new ArrayList<>();
            combos.add(new LinkedHashMap<>(params));
            for (Map.Entry<String, Object> g : grid.entrySet()) {
                List<Map<String, Object>> next = new ArrayList<>();
                for (Map<String, Object> c : combos) {
                    for (Object v : (List<Object>) g.getValue()) {
                        Map<String, Object> copy = new LinkedHashMap<>(c);
                        copy.put(g.getKey(), v);
                        next.add(copy);
                    }
                }
                combos = next;
            }
            List<String> segments = new ArrayList<>();
            if (entry.get("segments") instanceof Map<?, ?> seg) {
                String column = String.valueOf(seg.get("column"));
                for (String level : strings(seg.get("values"))) {
                    segments.add(column + "=" + level);
                }
                if (segments.isEmpty()) {
                    throw new IllegalArgumentException("segments of '" + column + "' need a non-empty 'values' list");
                }
            } else {
                segments.add("all");
            }
            for (String segment : segments) {
                for (Map<String, Object> c : combos) {
                    TaskConfig t = algo.equals("automl") ? TaskConfig.automl(c) : new TaskConfig(algo, c, null);
                    tasks.add(new TaskConfig(t.algorithm(), t.params(), segment));
                }
            }
        }
        return tasks;
    }

    private Runs fanOut(Splits s, Map<String, Object> o) throws Exception {
        List<TaskConfig> tasks = matrix(o);
        int parallelism = (int) number(o, "parallelism", Runtime.getRuntime().availableProcessors());
        long timeoutSecs = (long) number(o, "timeout_secs", 600);
        List<Frame[]> frames = new ArrayList<>();
        for (int f = 0; f < s.folds().size(); f++) {
            frames.add(new Frame[] {s.table().toFrame(s.folds().get(f)[0], "train_" + sweepId + "_" + f),
                    s.table().toFrame(s.folds().get(f)[1], "test_" + sweepId + "_" + f)});
        }
        int[] lastTrain = s.folds().get(s.folds().size() - 1)[0];
        List<Long> estimates = new ArrayList<>();
        for (TaskConfig t : tasks) {
            estimates.add(MemoryModel.estimate(t.algorithm(), lastTrain.length, s.table().features().size() + 1));
        }
        try (HeapSampler heap = new HeapSampler()) {
            long baseline = heap.liveAfterGc();
            Governor.Plan plan = new Governor(Runtime.getRuntime().maxMemory()).plan(estimates, baseline, parallelism);
            ctx.log().println("  governor: " + plan.describe());
            ExecutorService pool = Executors.newFixedThreadPool(plan.concurrency(), r -> {
                Thread t = new Thread(r, "converge-train-task");
                t.setDaemon(true);
                return t;
            });
            List<Future<RunOutcome>> futures = new ArrayList<>();
            try {
                for (int i = 0; i < tasks.size(); i++) {
                    int index = i;
                    futures.add(pool.submit(() -> runTask(index, tasks.get(index), s, frames, heap, baseline)));
                }
                List<RunOutcome> runs = new ArrayList<>();
                for (int i = 0; i < tasks.size(); i++) {
                    RunOutcome r;
                    long t0 = System.nanoTime();
                    try {
                        r = futures.get(i).get(timeoutSecs, TimeUnit.SECONDS);
                    } catch (TimeoutException e) {
                        futures.get(i).cancel(true);
                        r = new RunOutcome(i, tasks.get(i), "timed_out", Map.of(), (System.nanoTime() - t0) / 1_000_000,
                                "no result within " + timeoutSecs + " s", null);
                    } catch (ExecutionException e) {
                        r = new RunOutcome(i, tasks.get(i), "failed", Map.of(), 0, String.valueOf(e.getCause()), null);
                    }
                    record(r);
                    ctx.log().printf("  task %d %-60s %-9s %s%n", i, tasks.get(i), r.status(),
                            r.error() != null ? r.error() : summary(r.metrics()));
                    runs.add(r);
                }
                return new Runs(s, runs, plan);
            } finally {
                pool.shutdownNow();
                for (Frame[] f : frames) {
                    f[0].delete();
                    f[1].delete();
                }
            }
        }
    }

    private RunOutcome runTask(int index, TaskConfig task, Splits s, List<Frame[]> frames, HeapSampler heap,
                               long baseline) {
        long t0 = System.nanoTime();
        String response = s.table().label().name();
        Map<String, Object> metrics = new LinkedHashMap<>();
        Model<?, ?, ?> last = null;
        try {
            List<Map<String, Object>> perFold = new ArrayList<>();
            for (int f = 0; f < frames.size(); f++) {
                Frame trainFrame = frames.get(f)[0];
                Frame testFrame = frames.get(f)[1];
                boolean segmented = !task.segment().equals("all");
                if (segmented) { // frames of this segment's rows only, owned by this task
                    String[] seg = task.segment().split("=", 2);
                    int[] tr = s.table().rowsWhere(s.folds().get(f)[0], seg[0], seg[1]);
                    int[] te = s.table().rowsWhere(s.folds().get(f)[1], seg[0], seg[1]);
                    if (tr.length == 0 || te.length == 0) {
                        throw new IllegalArgumentException("segment " + task.segment() + " has " + tr.length
                                + " training and " + te.length + " test rows in fold " + (f + 1));
                    }
                    trainFrame = s.table().toFrame(tr, "train_" + sweepId + "_" + index + "_" + f);
                    testFrame = s.table().toFrame(te, "test_" + sweepId + "_" + index + "_" + f);
                }
                Trainer.Trained t;
                try {
                    t = Trainer.train(task, trainFrame, testFrame, response);
                } finally {
                    if (segmented) {
                        trainFrame.delete();
                        testFrame.delete();
                    }
                }
                perFold.add(t.metrics());
                if (last != null) {
                    last.delete();
                }
                last = t.model();
            }
            for (String k : List.of("auc", "logloss", "rmse")) {
                if (perFold.get(0).containsKey(k)) {
                    metrics.put(k, perFold.stream().mapToDouble(m -> ((Number) m.get(k)).doubleValue()).average()
                            .orElse(Double.NaN));
                }
            }
            metrics.put("model_algorithm", perFold.get(perFold.size() - 1).get("algorithm"));
            metrics.put("holdout_rows", perFold.stream().mapToLong(m -> ((Number) m.get("holdout_rows")).longValue()).sum());
            if (frames.size() > 1) {
                metrics.put("folds", perFold);
            }
            metrics.put("peak_live_heap_above_baseline_mb", Math.max(0, heap.peakAndReset() - baseline) >> 20);
            return new RunOutcome(index, task, "succeeded", metrics, (System.nanoTime() - t0) / 1_000_000, null, last);
        } catch (RuntimeException e) {
            if (last != null) {
                last.delete();
            }
            return new RunOutcome(index, task, "failed", metrics, (System.nanoTime() - t0) / 1_000_000,
                    e.getClass().getSimpleName() + ": " + e.getMessage(), null);
        }
    }

    private void record(RunOutcome r) throws Exception {
        Map<String, Object> config = new LinkedHashMap<>(r.config().params());
        new TrainingRuns(ctx.db().dataSource()).record(new TrainingRuns.Run(sweepId, r.index(), r.config().algorithm(),
                r.config().segment(), config, r.status(), r.metrics(), r.runtimeMs(), r.error()));
    }

    /**
     * The best succeeded run of the chosen segment ("all" unless {@code segment} says otherwise): a model trained on
     * one segment is measured on that segment only, so it competes only with models of the same segment.
     */
    private Champion best(Runs runs, Map<String, Object> o) {
        TrainingTable table = runs.splits().table();
        String defaultMetric = !table.classification() ? "rmse" : table.label().domain().length == 2 ? "auc" : "logloss";
        String metric = String.valueOf(o.getOrDefault("metric", defaultMetric));
        if (!List.of("auc", "logloss", "rmse").contains(metric)) {
            throw new IllegalArgumentException("best_run metric must be auc, logloss or rmse, was '" + metric + "'");
        }
        String segment = String.valueOf(o.getOrDefault("segment", "all"));
        boolean higherIsBetter = metric.equals("auc");
        RunOutcome best = null;
        for (RunOutcome r : runs.runs()) {
            if (!"succeeded".equals(r.status()) || !(r.metrics().get(metric) instanceof Number)
                    || !r.config().segment().equals(segment)) {
                continue;
            }
            double v = ((Number) r.metrics().get(metric)).doubleValue();
            if (best == null || (higherIsBetter ? v > value(best, metric) : v < value(best, metric))) {
                best = r;
            }
        }
        if (best == null) {
            throw new IllegalStateException("no training run succeeded with metric '" + metric + "': "
                    + runs.runs().stream().map(r -> r.index() + "=" + r.status() + (r.error() == null ? ""
                    : " (" + r.error() + ")")).toList());
        }
        for (RunOutcome r : runs.runs()) {
            if (r != best && r.model() != null) {
                r.model().delete();
            }
        }
        ctx.log().printf("  champion: task %d %s, %s %.5f%n", best.index(), best.config(), metric, value(best, metric));
        return new Champion(runs, best, metric);
    }

    private Outcome export(PipelineSpec spec, Champion c, Map<String, Object> o) throws Exception {
        Model<?, ?, ?> model = c.best().model();
        Splits s = c.runs().splits();
        TrainingTable table = s.table();
        int[][] lastFold = s.folds().get(s.folds().size() - 1);
        ArtifactStore store = new ArtifactStore(String.valueOf(o.getOrDefault("artifacts", ctx.artifacts())));
        ArtifactStore.Stored stored = store.write(spec.model() + "/" + sweepId + ".zip", out -> model.getMojo().writeTo(out));
        ArtifactStore.verify(stored.path(), stored.sha256(), stored.size());
        MojoInfo info = MojoInfo.read(stored.path());

        int refRows = Math.min((int) number(o, "reference_rows", 100), lastFold[1].length);
        int[] refIdx = Arrays.copyOf(lastFold[1], refRows);
        Frame refFrame = table.toFrame(refIdx, "reference_" + sweepId);
        List<Map<String, Object>> rows = new ArrayList<>();
        List<double[]> inCluster = new ArrayList<>();
        Frame preds = model.score(refFrame);
        try {
            int first = table.classification() ? 1 : 0;
            for (int i = 0; i < refRows; i++) {
                rows.add(table.rowData(refIdx[i]));
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
        DeployabilityGate.Result gate = new DeployabilityGate(number(o, "scoring_budget_p99_us", 5000),
                (int) number(o, "latency_passes", 20)).check(stored.path(), rows, inCluster);
        ctx.log().printf("  deployability gate: %s (genmodel p50 %.1f us, p99 %.1f us per row)%n",
                gate.passed() ? "passed" : "REFUSED: " + gate.reason(), gate.p50Micros(), gate.p99Micros());
        if (!gate.passed()) {
            Files.deleteIfExists(stored.path());
            model.delete();
            return new Outcome(sweepId, c.runs().runs(), c.best(), c.metric(), gate, null, false, c.runs().plan());
        }
        Instant start = Arrays.stream(lastFold[0]).mapToObj(i -> table.times()[i]).min(Instant::compareTo).orElseThrow();
        Instant end = Arrays.stream(lastFold[0]).mapToObj(i -> table.times()[i]).max(Instant::compareTo).orElseThrow();
        Map<String, Object> metrics = new LinkedHashMap<>();
        c.best().metrics().forEach((k, v) -> {
            if (!k.equals("folds")) {
                metrics.put(k, v);
            }
        });
        metrics.put("selection_metric", c.metric());
        metrics.put("sweep_id", sweepId.toString());
        metrics.put("runs", c.runs().runs().size());
        metrics.put("split", s.kind());
        metrics.put("label", table.label().name());
        metrics.put("classes", table.classification() ? Arrays.asList(table.label().domain()) : List.of());
        ModelRegistry registry = new ModelRegistry(ctx.db().dataSource());
        ModelVersion registered = registry.register(new NewModelVersion(spec.model(), c.best().config().algorithm()
                        + (c.best().config().algorithm().equals("automl") ? ":" + c.best().metrics().get("model_algorithm") : ""),
                        stored.uri().toString(), stored.sha256(), stored.size(), info.h2oVersion(), info.mojoVersion(),
                        ctx.gitCommit(), inputSchema(table), start, end, metrics),
                new ModelReference(sweepId, rows, gate.reference().storedOutputs(), Baselines.of(table, lastFold[0]),
                        gate.latency()), ctx.actor());
        ctx.log().printf("  registered %s v%d: %s (sha256 %s, %,d bytes)%n", registered.name(), registered.version(),
                registered.artifactUri(), registered.artifactSha256().substring(0, 12), registered.artifactSize());
        boolean promoted = maybePromote(registry, registered, c.metric(), o);
        model.delete();
        return new Outcome(sweepId, c.runs().runs(), c.best(), c.metric(), gate, registered, promoted, c.runs().plan());
    }

    private FeatureSchema schemaForModel;

    private FeatureSchema inputSchema(TrainingTable table) {
        FeatureSchema all = schemaForModel;
        List<FeatureSpec> used = new ArrayList<>();
        for (TrainingTable.Column col : table.features()) {
            used.add(all.feature(col.name()).orElseThrow());
        }
        return new FeatureSchema(used);
    }

    @SuppressWarnings("unchecked")
    private boolean maybePromote(ModelRegistry registry, ModelVersion v, String metric, Map<String, Object> o)
            throws Exception {
        if (!(o.get("auto_promote") instanceof Map<?, ?> rule)) {
            return false;
        }
        double margin = number((Map<String, Object>) rule, "margin", 0.0);
        double candidate = ((Number) v.metrics().get(metric)).doubleValue();
        var current = registry.champion(v.name());
        String reason;
        if (current.isEmpty()) {
            reason = "auto-promoted: first champion (" + metric + " " + candidate + ")";
        } else {
            Object cur = current.get().metrics().get(metric);
            if (!(cur instanceof Number n)) {
                ctx.log().printf("  not promoted: champion v%d has no %s to compare%n", current.get().version(), metric);
                return false;
            }
            double gain = metric.equals("auc") ? candidate - n.doubleValue() : n.doubleValue() - candidate;
            if (gain < margin) {
                ctx.log().printf("  not promoted: %s %.5f vs champion v%d %.5f, gain %.5f below margin %.5f%n", metric,
                        candidate, current.get().version(), n.doubleValue(), gain, margin);
                return false;
            }
            reason = String.format("auto-promoted: %s %.5f beats v%d %.5f by %.5f (margin %.5f)", metric, candidate,
                    current.get().version(), n.doubleValue(), gain, margin);
        }
        registry.promote(v.name(), v.version(), ctx.actor(), reason);
        ctx.log().println("  " + reason + " (NOTIFY " + ModelRegistry.CHANNEL + ")");
        return true;
    }

    private static double value(RunOutcome r, String metric) {
        return ((Number) r.metrics().get(metric)).doubleValue();
    }

    private static String summary(Map<String, Object> m) {
        StringBuilder sb = new StringBuilder();
        for (String k : List.of("auc", "logloss", "rmse")) {
            if (m.get(k) instanceof Number n) {
                sb.append(String.format("%s %.4f  ", k, n.doubleValue()));
            }
        }
        return sb.toString().trim();
    }

    private static String required(Map<String, Object> o, String key) {
        Object v = o.get(key);
        if (v == null) {
            throw new IllegalArgumentException("option '" + key + "' is required");
        }
        return v.toString();
    }

    private static double number(Map<String, Object> o, String key, double dflt) {
        Object v = o.get(key);
        if (v == null) {
            return dflt;
        }
        if (v instanceof Number n) {
            return n.doubleValue();
        }
        throw new IllegalArgumentException("option '" + key + "' must be a number, was '" + v + "'");
    }

    private static List<String> strings(Object o) {
        if (o == null) {
            return List.of();
        }
        if (o instanceof Collection<?> c) {
            return c.stream().map(String::valueOf).toList();
        }
        throw new IllegalArgumentException("expected a list, was " + o);
    }

    private static int[] ints(List<Integer> l) {
        return l.stream().mapToInt(Integer::intValue).toArray();
    }
}
