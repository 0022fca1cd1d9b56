package dev.converge.train.pipeline;

import dev.converge.registry.TrainingRuns;
import dev.converge.train.Algorithm;
import dev.converge.train.CloudLost;
import dev.converge.train.Governor;
import dev.converge.train.HeapSampler;
import dev.converge.train.MemoryModel;
import dev.converge.train.TaskConfig;
import dev.converge.train.Trainer;
import hex.Model;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import water.fvec.Frame;

/**
 * {@code fan_out}: the config matrix (algorithm x grid x segments) as tasks, every task checked when the pipeline is
 * loaded, run as the memory governor allows. Every task, failed or timed out too, is recorded in
 * {@code training_runs}.
 */
public record FanOut(List<TaskConfig> tasks, int parallelism, long timeoutSecs) implements Block {
    static final BlockType TYPE = BlockType.of("fan_out", "1.0", Port.SPLITS, Port.RUNS, o -> {
        List<TaskConfig> tasks;
        try {
            tasks = matrix(o.raw("matrix"));
        } catch (IllegalArgumentException | ClassCastException e) {
            throw o.error("matrix", "is not valid: " + e.getMessage());
        }
        return new FanOut(tasks, o.integer("parallelism", Runtime.getRuntime().availableProcessors(), 1),
                o.integer("timeout_secs", 600, 1));
    });

    public FanOut {
        tasks = List.copyOf(tasks);
    }

    /** The tasks of a matrix: per entry, params x the grid's combinations x segments. */
    @SuppressWarnings("unchecked")
    public static List<TaskConfig> matrix(Object m) {
        if (!(m instanceof List<?> entries) || entries.isEmpty()) {
            throw new IllegalArgumentException("fan_out needs a non-empty 'matrix'");
        }
        List<TaskConfig> tasks = new ArrayList<>();
        for (Object e : entries) {
            if (!(e instanceof Map<?, ?>)) {
                throw new IllegalArgumentException("each matrix entry must be a mapping, was " + e);
            }
            Map<String, Object> entry = (Map<String, Object>) e;
            for (String k : entry.keySet()) {
                if (!List.of("algorithm", "params", "grid", "segments").contains(k)) {
                    throw new IllegalArgumentException("unknown matrix key '" + k + "'; known are algorithm, params,"
                            + " grid, segments");
                }
            }
            Algorithm algo = Algorithm.fromWireName(String.valueOf(entry.get("algorithm")));
            Map<String, Object> params = (Map<String, Object>) entry.getOrDefault("params", Map.of());
            Map<String, Object> grid = (Map<String, Object>) entry.getOrDefault("grid", Map.of());
            List<Map<String, Object>> combos = new ArrayList<>();
            combos.add(new LinkedHashMap<>(params));
            for (Map.Entry<String, Object> g : grid.entrySet()) {
                if (!(g.getValue() instanceof List<?> values) || values.isEmpty()) {
                    throw new IllegalArgumentException("grid '" + g.getKey() + "' must be a non-empty list");
                }
                List<Map<String, Object>> next = new ArrayList<>();
                for (Map<String, Object> c : combos) {
                    for (Object v : values) {
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
                Object levels = seg.get("values");
                if (levels instanceof List<?> l) {
                    for (Object level : l) {
                        segments.add(column + "=" + level);
                    }
                }
                if (segments.isEmpty()) {
                    throw new IllegalArgumentException("segments of '" + column + "' need a non-empty 'values' list");
                }
            } else {
                segments.add("all");
            }
            for (String segment : segments) {
                for (Map<String, Object> c : combos) {
                    TaskConfig t = algo == Algorithm.AUTOML ? TaskConfig.automl(c) : new TaskConfig(algo, c, null);
                    tasks.add(new TaskConfig(t.algorithm(), t.params(), segment));
                }
            }
        }
        return tasks;
    }

    @Override
    public Values.Runs run(BlockContext ctx, Object input) throws Exception {
        Values.Splits s = (Values.Splits) input;
        // Train, validation, test: validation (the latest 15% of a fold's training rows for walk-forward, a seeded
        // random 15% otherwise) drives early stopping, lambda search and AutoML's ranking; the test rows, which no
        // training step sees, give the metrics that choose the champion and decide promotion.
        List<int[][]> threeWay = new ArrayList<>();
        List<Frame[]> frames = new ArrayList<>();
        long duplicatedInTest = 0;
        for (int f = 0; f < s.folds().size(); f++) {
            int[][] tvt = withValidation(s.folds().get(f)[0], s.folds().get(f)[1], s.table().table(), s.kind());
            threeWay.add(tvt);
            long seen = s.table().table().rowsAlsoIn(tvt[2], s.folds().get(f)[0]);
            if (seen > 0) {
                ctx.log().printf("  warning: fold %d: %,d of %,d test rows have exactly the features and label of a"
                        + " training row (duplicated or resampled data makes test metrics optimistic)%n", f + 1,
                        seen, tvt[2].length);
            }
            duplicatedInTest += seen;
            frames.add(new Frame[] {s.table().table().toFrame(tvt[0], "train_" + ctx.sweepId() + "_" + f),
                    s.table().table().toFrame(tvt[1], "valid_" + ctx.sweepId() + "_" + f),
                    s.table().table().toFrame(tvt[2], "test_" + ctx.sweepId() + "_" + f)});
        }
        long duplicates = duplicatedInTest;
        int[] lastTrain = s.folds().get(s.folds().size() - 1)[0];
        List<Long> estimates = new ArrayList<>();
        for (TaskConfig t : tasks) {
            estimates.add(MemoryModel.estimate(t.algorithm(), lastTrain.length,
                    s.table().table().features().size() + 1));
        }
        try (HeapSampler heap = new HeapSampler()) {
            long baseline = heap.liveAfterGc();
            // A client of a cloud holds no data: the budget is the nodes' free memory (their heartbeats, what H2O's
            // /3/Cloud reports), already net of what they hold; a member's is its own heap less what it holds.
            long cloudBytes = dev.converge.train.H2oCloud.clientBudgetBytes();
            Governor.Plan plan = cloudBytes > 0 ? new Governor(cloudBytes).plan(estimates, 0, parallelism)
                    : new Governor(Runtime.getRuntime().maxMemory()).plan(estimates, baseline, parallelism);
            ctx.log().println("  governor: " + (cloudBytes > 0 ? "sized from the cloud's " + water.H2O.CLOUD.size()
                    + " nodes (" + (cloudBytes >> 20) + " MB: the least free node's free heap times their number): "
                    : "") + plan.describe());
            ExecutorService pool = Executors.newFixedThreadPool(plan.concurrency(), r -> {
                Thread t = new Thread(r, "converge-train-task");
                t.setDaemon(true);
                return t;
            });
            List<Future<RunOutcome>> futures = new ArrayList<>();
            List<Trainer.Watch> watches = new ArrayList<>();
            // Set once a member of the cloud is lost: nothing distributed (frames, models) can be deleted any more.
            boolean[] cloudLost = {false};
            try {
                for (int i = 0; i < tasks.size(); i++) {
                    int index = i;
                    // Each model is capped by H2O itself at the task's timeout unless the task sets its own cap.
                    Trainer.Watch watch = new Trainer.Watch(timeoutSecs);
                    watches.add(watch);
                    futures.add(pool.submit(() -> {
                        watch.begin();
                        RunOutcome r = runTask(ctx, index, tasks.get(index), s, threeWay, frames, heap, baseline,
                                watch);
                        if (r.status().equals("succeeded")) {
                            r.metrics().put("test_rows_seen_in_training", duplicates);
                        }
                        return r;
                    }));
                }
                List<RunOutcome> runs = new ArrayList<>();
                for (int i = 0; i < tasks.size(); i++) {
                    RunOutcome r;
                    try {
                        r = awaitTask(futures.get(i), watches.get(i));
                        if (r == null) {
                            long ran = (System.nanoTime() - watches.get(i).startedNanos()) / 1_000_000;
                            boolean ended = stopAndAwait(futures.get(i), watches.get(i));
                            r = new RunOutcome(i, tasks.get(i), "timed_out", Map.of(), ran, "no result within "
                                    + timeoutSecs + " s of starting; its H2O job was stopped" + (ended ? ""
                                    : " but had not ended " + STOP_GRACE_SECS + " s later"), null);
                        }
                    } catch (ExecutionException e) {
                        r = new RunOutcome(i, tasks.get(i), "failed", Map.of(), 0, String.valueOf(e.getCause()), null);
                    } catch (CloudLostWhileWaiting lost) {
                        cloudLost[0] = true;
                        throw recordLost(ctx, i, lost.member, watches);
                    }
                    record(ctx, r);
                    ctx.log().printf("  task %d %-60s %-9s %s%n", i, tasks.get(i), r.status(),
                            r.error() != null ? r.error() : summary(r.metrics()));
                    runs.add(r);
                }
                return new Values.Runs(s, runs, plan);
            } finally {
                pool.shutdownNow();
                // A lost member holds chunks of every frame: deleting them would wait for it forever.
                if (!cloudLost[0]) {
                    for (Frame[] f : frames) {
                        for (Frame frame : f) {
                            frame.delete();
                        }
                    }
                }
            }
        }
    }

    private static final class CloudLostWhileWaiting extends RuntimeException {
        final String member;

        CloudLostWhileWaiting(String member) {
            super(member, null, false, false);
            this.member = member;
        }
    }

    /**
     * Records task {@code first} and every later one as failed, naming the lost member, and returns the exception
     * that ends the pipeline: the sweep is in the registry's training runs with the reason, and nothing is
     * registered. Tasks already running on the broken cloud are not waited for (their H2O jobs cannot end).
     */
    private CloudLost recordLost(BlockContext ctx, int first, String member, List<Trainer.Watch> watches)
            throws Exception {
        String why = member + " left the cloud";
        for (int i = first; i < tasks.size(); i++) {
            boolean started = watches.get(i).startedNanos() != 0;
            long ran = started ? (System.nanoTime() - watches.get(i).startedNanos()) / 1_000_000 : 0;
            RunOutcome r = new RunOutcome(i, tasks.get(i), "failed", Map.of(), ran, (started ? why + " while this task"
                    + " ran" : "not run: " + why) + "; a cloud that loses a member cannot finish its work", null);
            record(ctx, r);
            ctx.log().printf("  task %d %-60s %-9s %s%n", i, tasks.get(i), r.status(), r.error());
        }
        return new CloudLost("the H2O cloud lost a member: " + why + " while task " + first + " of sweep "
                + ctx.sweepId() + " was running. Tasks " + first + ".." + (tasks.size() - 1) + " are recorded as"
                + " failed. Re-form the cloud (restart every node, or let Kubernetes restart the pods) and train again.");
    }

    /** How long a stopped H2O job may take to end before its frames are deleted anyway. */
    static final long STOP_GRACE_SECS = 30;

    /**
     * The task's outcome, or null when it ran longer than the timeout. The clock starts when the task starts
     * running, not when it was queued: tasks waiting behind a slow one do not time out for its sake.
     */
    private RunOutcome awaitTask(Future<RunOutcome> f, Trainer.Watch watch) throws ExecutionException,
            InterruptedException {
        while (true) {
            try {
                return f.get(200, TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                String silent = CloudLost.silentMember(CloudLost.SILENT_MILLIS);
                if (silent != null) {
                    throw new CloudLostWhileWaiting(silent);
                }
                long started = watch.startedNanos();
                if (started != 0 && System.nanoTime() - started > TimeUnit.SECONDS.toNanos(timeoutSecs)) {
                    return null;
                }
            }
        }
    }

    /** Stops the task's H2O job and waits for its thread to let go of the frames; whether it ended in time. */
    private static boolean stopAndAwait(Future<RunOutcome> f, Trainer.Watch watch) throws InterruptedException {
        watch.stop();
        try {
            RunOutcome late = f.get(STOP_GRACE_SECS, TimeUnit.SECONDS);
            if (late.model() != null) {
                late.model().delete(); // a result past its time is not used
            }
            return true;
        } catch (ExecutionException e) {
            return true;
        } catch (TimeoutException e) {
            f.cancel(true);
            return false;
        }
    }

    /** The fraction of a fold's training rows held out for validation. */
    static final double VALIDATION_FRACTION = 0.15;

    /**
     * {train, validation, test} of one fold: for walk-forward the latest {@link #VALIDATION_FRACTION} of the
     * training rows by time (validation after training, as test is after both), otherwise a seeded random share.
     * With fewer than 20 training rows there is no room for validation: it is the test set, as before.
     */
    static int[][] withValidation(int[] train, int[] test, dev.converge.train.TrainingTable table, String kind) {
        if (train.length < 20) {
            return new int[][] {train, test, test};
        }
        Integer[] order = java.util.Arrays.stream(train).boxed().toArray(Integer[]::new);
        if (kind.equals("walk_forward")) {
            java.util.Arrays.sort(order, java.util.Comparator.comparing((Integer i) -> table.times()[i])
                    .thenComparing(i -> i));
        } else {
            java.util.Collections.shuffle(java.util.Arrays.asList(order), new java.util.Random(42));
        }
        int nValid = Math.max(1, (int) Math.round(train.length * VALIDATION_FRACTION));
        int[] core = new int[train.length - nValid];
        int[] valid = new int[nValid];
        for (int i = 0; i < order.length; i++) {
            if (i < core.length) {
                core[i] = order[i];
            } else {
                valid[i - core.length] = order[i];
            }
        }
        java.util.Arrays.sort(core);
        java.util.Arrays.sort(valid);
        return new int[][] {core, valid, test};
    }

    private static RunOutcome runTask(BlockContext ctx, int index, TaskConfig task, Values.Splits s,
                                      List<int[][]> threeWay, List<Frame[]> frames, HeapSampler heap, long baseline,
                                      Trainer.Watch watch) {
        long t0 = System.nanoTime();
        String response = s.table().table().label().name();
        Map<String, Object> metrics = new LinkedHashMap<>();
        Model<?, ?, ?> last = null;
        try {
            List<Map<String, Object>> perFold = new ArrayList<>();
            for (int f = 0; f < frames.size(); f++) {
                Frame trainFrame = frames.get(f)[0];
                Frame validFrame = frames.get(f)[1];
                Frame testFrame = frames.get(f)[2];
                boolean segmented = !task.segment().equals("all");
                if (segmented) { // frames of this segment's rows only, owned by this task
                    String[] seg = task.segment().split("=", 2);
                    int[] tr = s.table().table().rowsWhere(threeWay.get(f)[0], seg[0], seg[1]);
                    int[] va = s.table().table().rowsWhere(threeWay.get(f)[1], seg[0], seg[1]);
                    int[] te = s.table().table().rowsWhere(threeWay.get(f)[2], seg[0], seg[1]);
                    if (tr.length == 0 || te.length == 0) {
                        throw new IllegalArgumentException("segment " + task.segment() + " has " + tr.length
                                + " training and " + te.length + " test rows in fold " + (f + 1));
                    }
                    trainFrame = s.table().table().toFrame(tr, "train_" + ctx.sweepId() + "_" + index + "_" + f);
                    testFrame = s.table().table().toFrame(te, "test_" + ctx.sweepId() + "_" + index + "_" + f);
                    validFrame = va.length == 0 ? testFrame // too few of the segment's rows to hold any back
                            : s.table().table().toFrame(va, "valid_" + ctx.sweepId() + "_" + index + "_" + f);
                }
                Trainer.Trained t;
                try {
                    t = Trainer.train(task, trainFrame, validFrame, testFrame, response, watch);
                } finally {
                    if (segmented) {
                        trainFrame.delete();
                        if (validFrame != testFrame) {
                            validFrame.delete();
                        }
                        testFrame.delete();
                    }
                }
                perFold.add(t.metrics());
                if (last != null) {
                    last.delete();
                }
                last = t.model();
            }
            for (dev.converge.train.Metric k : dev.converge.train.Metric.values()) {
                if (perFold.get(0).containsKey(k.wireName())) {
                    metrics.put(k.wireName(), perFold.stream().mapToDouble(m -> ((Number) m.get(k.wireName()))
                            .doubleValue()).average().orElse(Double.NaN));
                }
            }
            for (String k : List.of("mae", "r2", "mean_baseline_rmse", "accuracy", "mean_per_class_error")) { // the mean over folds too
                if (perFold.get(0).get(k) instanceof Number) {
                    metrics.put(k, perFold.stream().mapToDouble(m -> ((Number) m.get(k)).doubleValue()).average()
                            .orElse(Double.NaN));
                }
            }
            if (metrics.get("mean_baseline_rmse") instanceof Number base && metrics.get("rmse") instanceof Number rmse) {
                metrics.put("worse_than_mean", rmse.doubleValue() > base.doubleValue());
            }
            metrics.put("model_algorithm", perFold.get(perFold.size() - 1).get("algorithm"));
            if (perFold.get(perFold.size() - 1).get("settings_chosen") instanceof String chosen) {
                metrics.put("settings_chosen", chosen); // what converge set where the pipeline was silent
            }
            Object thresholds = perFold.get(perFold.size() - 1).get("thresholds_on_validation");
            if (thresholds != null) { // the exported model is the last fold's: its thresholds
                metrics.put("thresholds_on_validation", thresholds);
            }
            metrics.put("holdout_rows", perFold.stream().mapToLong(m -> ((Number) m.get("holdout_rows")).longValue())
                    .sum());
            metrics.put("validation_rows", perFold.stream().mapToLong(m -> ((Number) m.get("validation_rows"))
                    .longValue()).sum());
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

    private static void record(BlockContext ctx, RunOutcome r) throws Exception {
        Map<String, Object> config = new LinkedHashMap<>(r.config().params());
        new TrainingRuns(ctx.db().dataSource()).record(new TrainingRuns.Run(ctx.sweepId(), r.index(),
                r.config().algorithm().wireName(), r.config().segment(), config, r.status(), r.metrics(),
                r.runtimeMs(), r.error()));
    }

    static String summary(Map<String, Object> m) {
        StringBuilder sb = new StringBuilder();
        for (dev.converge.train.Metric k : dev.converge.train.Metric.values()) {
            if (m.get(k.wireName()) instanceof Number n) {
                sb.append(String.format(java.util.Locale.ROOT, "%s %.4f  ", k.wireName(), n.doubleValue()));
            }
        }
        if (m.get("r2") instanceof Number r2) {
            sb.append(String.format(java.util.Locale.ROOT, "mae %.4f  r2 %.4f  ", ((Number) m.get("mae")).doubleValue(),
                    r2.doubleValue()));
            if (Boolean.TRUE.equals(m.get("worse_than_mean"))) {
                sb.append(String.format(java.util.Locale.ROOT, "WORSE THAN PREDICTING THE MEAN (rmse %.4f)",
                        ((Number) m.get("mean_baseline_rmse")).doubleValue()));
            }
        }
        if (m.get("settings_chosen") instanceof String chosen) {
            sb.append("  [").append(chosen).append(']');
        }
        return sb.toString().trim();
    }
}
