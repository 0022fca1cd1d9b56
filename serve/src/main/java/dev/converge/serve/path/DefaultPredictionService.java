package dev.converge.serve.path;

import dev.converge.contracts.ValidationResult;
import dev.converge.contracts.Violation;
import dev.converge.model.Prediction;
import dev.converge.serve.experiment.Variants;
import dev.converge.serve.model.ModelHandle;
import dev.converge.serve.outcome.OutcomeListener;
import dev.converge.serve.outcome.ScoredRow;
import dev.converge.serve.pg.PgGateway;
import dev.converge.serve.predict.BatchOutcome;
import dev.converge.serve.predict.Degradation;
import dev.converge.serve.predict.OverloadedException;
import dev.converge.serve.predict.PredictionIds;
import dev.converge.serve.predict.PredictionOutcome;
import dev.converge.serve.predict.PredictionRequest;
import dev.converge.serve.predict.PredictionService;
import dev.converge.serve.resilience.AdmissionControl;
import dev.converge.serve.resilience.Failures;
import dev.converge.serve.scoring.FeatureAssembly;
import dev.converge.serve.scoring.Scorer;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * The prediction path's stages wired in order: decode the request, choose the variant, assemble its features
 * (online features behind their breaker), validate them with the shared contracts, then score through the scorer
 * chain (cache and single flight in front of inline or worker scoring). Dependency failures degrade the answer;
 * they never fail it: without PostgreSQL the request's own features are scored when they suffice, else the
 * configured default answers; without Redis the row is computed and not cached. What observes the outcomes (the
 * prediction log, shadows, the variants' figures, latency attribution) is an {@link OutcomeListener}, not a step.
 */
public final class DefaultPredictionService implements PredictionService {
    /** Inline scoring a batch does in one event-loop turn before it yields, in microseconds of measured p90. */
    private static final double SLICE_MICROS = 1_000;

    private final Variants variants;
    private final PgGateway online;
    private final Scorer scorer;
    private final AdmissionControl admission;
    private final Object fallback;
    private final int batchMaxRows;
    private final boolean refuseUnseenLevels;
    private final Counter degraded;
    private final MeterRegistry metrics;
    private final List<OutcomeListener> listeners = new CopyOnWriteArrayList<>();

    DefaultPredictionService(Variants variants, PgGateway online, Scorer scorer, AdmissionControl admission,
                             Object fallback, int batchMaxRows, boolean refuseUnseenLevels, MeterRegistry metrics) {
        this.refuseUnseenLevels = refuseUnseenLevels;
        this.metrics = metrics;
        this.variants = variants;
        this.online = online;
        this.scorer = scorer;
        this.admission = admission;
        this.fallback = fallback;
        this.batchMaxRows = batchMaxRows;
        this.degraded = Counter.builder("converge.degraded").register(metrics);
    }

    /** Adds a listener, called after those added before it for every row scored and every scoring failed. */
    void listen(OutcomeListener listener) {
        listeners.add(listener);
    }

    @Override
    public Admission admission() {
        return admission;
    }

    @Override
    public Future<PredictionOutcome> predict(Object request) {
        RequestDecoder.Decoded d = RequestDecoder.decode(request, "");
        if (!d.ok()) {
            return Future.succeededFuture(new PredictionOutcome.Malformed(d.violations()));
        }
        Variants.Choice choice = variants.choose(d.request());
        if (choice == null) {
            return Future.succeededFuture(new PredictionOutcome.NotReady(Variants.NOT_READY));
        }
        if (choice.refused() != null) {
            return Future.succeededFuture(new PredictionOutcome.Malformed(List.of(choice.refused())));
        }
        PredictionRequest in = d.request();
        long t0 = System.nanoTime();
        Future<PredictionOutcome> out = in.entityId() == null ? afterFetch(choice, in, Map.of(), false, null, true, t0)
                : online.one(choice.model().entityKey(in.entityId()), choice.model().readsVectors()).transform(ar -> {
                    if (ar.failed()) {
                        // Our own overload (pool wait, a reply read late) is shed; a failed PostgreSQL degrades.
                        return ar.cause() instanceof OverloadedException ? Future.failedFuture(ar.cause())
                                : afterFetch(choice, in, Map.of(), false, ar.cause(), true, t0);
                    }
                    return afterFetch(choice, in, ar.result() == null ? Map.of() : ar.result(), ar.result() != null,
                            null, true, t0);
                });
        return out.recover(this::shedIfOverloaded);
    }

    @Override
    public Future<BatchOutcome> predictBatch(List<?> rows) {
        if (rows.isEmpty() || rows.size() > batchMaxRows) {
            return Future.succeededFuture(new BatchOutcome.BadSize(rows.size(), batchMaxRows));
        }
        long t0 = System.nanoTime();
        Variants.Choice champion = variants.choose(null);
        if (champion == null) {
            return Future.succeededFuture(new BatchOutcome.Refused(new PredictionOutcome.NotReady(Variants.NOT_READY)));
        }
        ModelHandle model = champion.model();
        // Each row is routed like a single request (an entity sees the same variant either way).
        List<RequestDecoder.Decoded> decoded = new ArrayList<>();
        List<Variants.Choice> chosen = new ArrayList<>();
        List<String> ids = new ArrayList<>();
        boolean vectors = false;
        for (int i = 0; i < rows.size(); i++) {
            RequestDecoder.Decoded d = RequestDecoder.decode(rows.get(i), "rows[" + i + "].");
            Variants.Choice c = d.ok() ? variants.choose(d.request()) : null;
            if (c != null && c.refused() != null) {
                Violation v = c.refused();
                d = new RequestDecoder.Decoded(null, List.of(new Violation("rows[" + i + "]." + v.feature(),
                        v.value(), v.reason(), v.message())));
                c = null;
            }
            decoded.add(d);
            chosen.add(c);
            if (c != null && d.request().entityId() != null) {
                ids.add(c.model().entityKey(d.request().entityId())); // the keys of the row's model's feature set
                vectors |= c.model().readsVectors();
            }
        }
        int rowsToScore = (int) decoded.stream().filter(RequestDecoder.Decoded::ok).count();
        OverloadedException refused = scorer.refusal(model, rowsToScore);
        if (refused != null) {
            return shedIfOverloaded(refused).map(BatchOutcome.Refused::new);
        }
        return online.many(ids, vectors).transform(ar -> {
            if (ar.failed() && ar.cause() instanceof OverloadedException) {
                return shedIfOverloaded(ar.cause()).<BatchOutcome>map(BatchOutcome.Refused::new);
            }
            // Checked again now that the fetch is done: batches admitted together must not all pile their rows on
            // the queue they were each checked against alone.
            OverloadedException late = scorer.refusal(model, rowsToScore);
            if (late != null) {
                return shedIfOverloaded(late).<BatchOutcome>map(BatchOutcome.Refused::new);
            }
            Throwable pgFailure = ar.failed() ? ar.cause() : null;
            Map<String, Map<String, Object>> stored = ar.succeeded() ? ar.result() : Map.of();
            List<Future<PredictionOutcome>> results = new ArrayList<>(decoded.size());
            Promise<Void> all = Promise.promise();
            int slice = model.inline() ? Math.max(1, (int) (SLICE_MICROS / Math.max(1.0, model.p90Micros()))) : 256;
            List<Integer> indexes = java.util.stream.IntStream.range(0, decoded.size()).boxed().toList();
            sliced(indexes, 0, slice, i -> {
                RequestDecoder.Decoded d = decoded.get(i);
                if (!d.ok()) {
                    results.add(Future.succeededFuture(new PredictionOutcome.Malformed(d.violations())));
                    return;
                }
                Variants.Choice c = chosen.get(i);
                PredictionRequest in = d.request();
                Map<String, Object> s = in.entityId() == null ? null : stored.get(c.model().entityKey(in.entityId()));
                // A batch's rows queue behind one another by design: none is dropped for waiting.
                results.add(afterFetch(c, in, s == null ? Map.of() : s, s != null,
                        in.entityId() == null ? null : pgFailure, false, t0));
            }, all);
            return all.future().compose(v -> Future.join(results)).<BatchOutcome>transform(done -> {
                if (done.failed()) { // a row dropped for overload refuses the batch with it (503), never a null row
                    return shedIfOverloaded(done.cause()).<BatchOutcome>map(BatchOutcome.Refused::new);
                }
                List<PredictionOutcome> out = new ArrayList<>();
                for (Future<PredictionOutcome> f : results) {
                    out.add(f.result());
                }
                return Future.succeededFuture(new BatchOutcome.Rows(champion.ref(), out));
            });
        });
    }

    /**
     * Runs {@code step} over {@code items} from {@code from}, {@code slice} at a time, handing the event loop back
     * between slices so that other requests' I/O and scoring interleave with a long batch's (an inline model's
     * rows are scored in the step itself). Completes {@code done} after the last.
     */
    static <T> void sliced(List<T> items, int from, int slice, Consumer<T> step, Promise<Void> done) {
        int to = Math.min(items.size(), from + slice);
        try {
            for (int i = from; i < to; i++) {
                step.accept(items.get(i));
            }
        } catch (RuntimeException e) {
            done.fail(e);
            return;
        }
        if (to == items.size()) {
            done.complete();
            return;
        }
        Context ctx = Vertx.currentContext();
        if (ctx == null) { // not on an event loop: nothing to hand back
            sliced(items, to, items.size(), step, done);
        } else {
            ctx.runOnContext(v -> sliced(items, to, slice, step, done));
        }
    }

    /** An overload refusal anywhere on the path becomes a counted Shed outcome; anything else stays a failure. */
    private Future<PredictionOutcome> shedIfOverloaded(Throwable t) {
        if (t instanceof OverloadedException o) {
            admission.count(o.bound());
            return Future.succeededFuture(new PredictionOutcome.Shed(o.bound(), o.getMessage()));
        }
        return Future.failedFuture(t);
    }

    /** Feature assembly, validation and scoring of one row whose stored features are known (or unreadable). */
    private Future<PredictionOutcome> afterFetch(Variants.Choice choice, PredictionRequest in,
                                                 Map<String, Object> stored, boolean found, Throwable pgFailure,
                                                 boolean droppable, long t0) {
        long fetched = System.nanoTime();
        ModelHandle model = choice.model();
        dev.converge.serve.predict.ModelRef ref = choice.ref();
        List<Violation> warnings = new ArrayList<>(0);
        Map<String, Object> features = in.features();
        String label = model.label();
        if (label != null && features.containsKey(label) && model.schema().feature(label).isEmpty()) {
            // A full row as exported, label included: the label is not an input; say so rather than refuse.
            features = new java.util.HashMap<>(features);
            features.remove(label);
            warnings.add(new Violation(label, null, "label_ignored", "'" + label + "' is the label model '"
                    + model.name() + "' predicts, not one of its features; it was ignored"));
        }
        List<Violation> derivedSent = model.derivedSent(features);
        if (!derivedSent.isEmpty()) {
            return Future.succeededFuture(new PredictionOutcome.Invalid(ref, derivedSent, in.entityId(), found));
        }
        boolean unknownEntity = in.entityId() != null && !found && pgFailure == null;
        if (unknownEntity && features.isEmpty()) {
            return Future.succeededFuture(new PredictionOutcome.UnknownEntity(ref, in.entityId(),
                    model.featureSet()));
        }
        ValidationResult v = model.validator().validate(FeatureAssembly.merge(model.schema(), stored, features));
        if (!v.valid()) {
            if (pgFailure == null) {
                return Future.succeededFuture(new PredictionOutcome.Invalid(ref, v.violations(),
                        in.entityId(), found));
            }
            degraded.increment();
            String why = "online features unavailable (" + Failures.describe(pgFailure) + ") and the request's"
                    + " features are not enough (" + v.violations().get(0) + "); default answer";
            String id = PredictionIds.next();
            Prediction answer = new Prediction(fallback, null);
            long now = System.nanoTime();
            ScoredRow row = new ScoredRow(model, ref, id, in.entityId(), stored, features, in.eventTime(), features,
                    answer, false, true, warnings, droppable, new ScoredRow.Timing(t0, fetched, now, now, 0, 0),
                    new ScoredRow.Logged());
            for (OutcomeListener l : listeners) { // logged like any answer, so that it can be found afterwards
                l.answeredByDefault(row, why);
            }
            return Future.succeededFuture(new PredictionOutcome.Degraded(ref, answer, false, List.of(
                    new Degradation(Degradation.Kind.DEFAULT_ANSWER, why)), warnings, id));
        }
        v.readAsMissing().forEach((feature, token) -> warnings.add(new Violation(feature, token, "read_as_missing",
                "'" + token + "' is one of the schema's missing values: feature '" + feature + "' was scored as"
                + " missing")));
        v.missingNotSeen().forEach((feature, sent) -> warnings.add(new Violation(feature, "null".equals(sent) ? null
                : sent, "missing_not_seen_in_training", "feature '" + feature + "' was sent as " + ("null".equals(sent)
                ? "null" : "'" + sent + "'") + ": it was never missing in the data model '" + model.name() + "' v"
                + model.version() + " was trained on (not nullable in its schema), so it was scored as the model"
                + " scores any missing value (a tree's missing direction, a GLM's imputed mean)")));
        if (unknownEntity) {
            warnings.add(new Violation("entity_id", in.entityId(), "unknown_entity", "entity '" + in.entityId()
                    + "' has no stored features; scored from the request's features alone"));
        }
        Map<String, String> unseen = model.unseenLevels(v.values());
        if (!unseen.isEmpty()) {
            List<Violation> levels = new ArrayList<>(unseen.size());
            unseen.forEach((feature, level) -> {
                metrics.counter("converge.unseen.levels", "model", model.name(), "feature", feature).increment();
                levels.add(new Violation(feature, level, "unseen_level", "feature '" + feature + "' level '" + level
                        + "' was not seen in training; model '" + model.name() + "' v" + model.version()
                        + (refuseUnseenLevels ? " refuses it (serve.unseen_levels=refuse)" : " scores it as missing")));
            });
            if (refuseUnseenLevels) {
                return Future.succeededFuture(new PredictionOutcome.Invalid(ref, levels, in.entityId(),
                        found));
            }
            warnings.addAll(levels);
        }
        Degradation pgProblem = pgFailure == null ? null : new Degradation(
                Degradation.Kind.ONLINE_FEATURES_UNAVAILABLE, "online features unavailable ("
                + Failures.describe(pgFailure) + "); scored from the request's features");
        if (in.eventTime() == null && model.readsEventTime()) { // a default the caller should know about
            warnings.add(new Violation("event_time", null, "event_time_defaulted", "model '" + model.name()
                    + "' derives features from the event time; none was sent, so now was used"));
        }
        Map<String, Object> values = model.withDerived(v.values(), in.eventTime());
        long scoreStart = System.nanoTime();
        Future<Scorer.Scored> scoring;
        try {
            scoring = scorer.score(model, values, droppable);
        } catch (RuntimeException e) { // an inline model failed on the event loop
            scoring = Future.failedFuture(e);
        }
        scoring = scoring.onFailure(e -> {
            if (!(e instanceof OverloadedException)) {
                for (OutcomeListener l : listeners) {
                    l.failed(model, ref, e);
                }
            }
        });
        Map<String, Object> request = features;
        return scoring.map(s -> {
            String id = PredictionIds.next();
            ScoredRow row = new ScoredRow(model, ref, id, in.entityId(), stored, request, in.eventTime(), values,
                    s.prediction(), s.cached(), pgProblem != null || s.cacheProblem() != null, warnings, droppable,
                    new ScoredRow.Timing(t0, fetched, scoreStart, System.nanoTime(), s.queueNanos(),
                            s.scoringNanos()), new ScoredRow.Logged());
            for (OutcomeListener l : listeners) {
                l.scored(row);
            }
            if (pgProblem == null && s.cacheProblem() == null) {
                return new PredictionOutcome.Scored(ref, s.prediction(), s.cached(), warnings, id);
            }
            degraded.increment();
            List<Degradation> why = new ArrayList<>(2);
            if (pgProblem != null) {
                why.add(pgProblem);
            }
            if (s.cacheProblem() != null) {
                why.add(s.cacheProblem());
            }
            return new PredictionOutcome.Degraded(ref, s.prediction(), s.cached(), why, warnings, id);
        });
    }
}
