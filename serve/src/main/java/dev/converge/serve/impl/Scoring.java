package dev.converge.serve.impl;

import dev.converge.contracts.ValidationResult;
import dev.converge.contracts.Violation;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.Future;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The scoring path, asynchronous end to end: fetch online features (reactive PostgreSQL, behind a breaker), merge
 * the request's features over them, validate the whole row with the shared contracts, look the prediction up in
 * the Redis cache (behind its breaker), and on a miss compute it once per replica (single-flight), inline on the
 * event loop or on the worker pool. Dependency failures degrade the answer; they never fail it: without Redis the
 * row is computed and not cached; without PostgreSQL the request's own features are scored when they suffice,
 * else the configured default answers. Each such answer says it is degraded, and why.
 */
public final class Scoring {
    /** A request row, already checked for shape. */
    public record Input(String entityId, Map<String, Object> features) {}

    /** One row's outcome: a prediction (maybe cached, maybe degraded with a reason), or violations. */
    public record Result(ModelHandle model, ModelHandle.Prediction prediction, List<Violation> violations,
                         boolean entityFound, boolean cached, String degraded) {}

    private static final String FETCH_ONE = "SELECT hot || coalesce(cold, '{}'::jsonb) FROM feature_online"
            + " WHERE entity_id = $1";
    private static final String FETCH_MANY = "SELECT entity_id, hot || coalesce(cold, '{}'::jsonb) FROM feature_online"
            + " WHERE entity_id = ANY($1)";

    private final Pool pg;
    private final Breaker pgBreaker;
    private final PredictionCache cache;
    private final WorkerExecutor workers;
    private final Object fallback;
    private final SingleFlight<Outcome> singleFlight = new SingleFlight<>();
    private final QueueDelay queue;
    private final java.util.concurrent.atomic.AtomicInteger pgQueries = new java.util.concurrent.atomic.AtomicInteger();
    private final Timer inlineTimer;
    private final Timer workerTimer;
    private final Counter hits;
    private final Counter misses;
    private final Counter degradedCount;

    public Scoring(Pool pg, Breaker pgBreaker, PredictionCache cache, WorkerExecutor workers, QueueDelay queue,
                   Object fallback, MeterRegistry metrics) {
        this.pg = pg;
        this.pgBreaker = pgBreaker;
        this.cache = cache;
        this.workers = workers;
        this.queue = queue;
        this.fallback = fallback;
        this.inlineTimer = Timer.builder("converge.scoring").tag("mode", "inline").publishPercentileHistogram()
                .register(metrics);
        this.workerTimer = Timer.builder("converge.scoring").tag("mode", "worker").publishPercentileHistogram()
                .register(metrics);
        this.hits = Counter.builder("converge.cache.requests").tag("result", "hit").register(metrics);
        this.misses = Counter.builder("converge.cache.requests").tag("result", "miss").register(metrics);
        this.degradedCount = Counter.builder("converge.degraded").register(metrics);
        metrics.gauge("converge.scoring.queue", queue, QueueDelay::queued);
        // Each query holds one connection; beyond the pool's size the rest wait in its bounded queue.
        metrics.gauge("converge.pg.pool.in_use", pgQueries, q -> Math.min(q.get(), pg.size()));
        metrics.gauge("converge.pg.pool.waiting", pgQueries, q -> Math.max(0, q.get() - pg.size()));
        metrics.gauge("converge.scoring.expected_wait", queue, q -> q.expectedWaitNanos() / 1e9);
        io.micrometer.core.instrument.FunctionCounter.builder("converge.scoring.expired", queue, QueueDelay::expired)
                .description("scorings dropped unrun: they waited past serve.queue_deadline_ms").register(metrics);
    }

    public Future<Result> one(ModelHandle model, Input in) {
        if (in.entityId() == null) {
            return afterFetch(model, in, Map.of(), false, null, true);
        }
        return fetch(() -> pg.preparedQuery(FETCH_ONE).execute(Tuple.of(in.entityId())))
                .transform(ar -> {
                    if (ar.failed()) {
                        return afterFetch(model, in, Map.of(), false, ar.cause(), true);
                    }
                    boolean found = ar.result().size() > 0;
                    return afterFetch(model, in, found ? toMap(ar.result().iterator().next().getJsonObject(0))
                            : Map.of(), found, null, true);
                });
    }

    /** Many rows, their entities fetched in one query; a bad row never fails the others. */
    public Future<List<Result>> many(ModelHandle model, List<Input> inputs) {
        List<String> ids = new ArrayList<>();
        for (Input in : inputs) {
            if (in.entityId() != null) {
                ids.add(in.entityId());
            }
        }
        Future<Map<String, Map<String, Object>>> fetched = ids.isEmpty() ? Future.succeededFuture(Map.of())
                : fetch(() -> pg.preparedQuery(FETCH_MANY)
                        .execute(Tuple.of(ids.toArray(String[]::new)))).map(rows -> {
                    Map<String, Map<String, Object>> m = new HashMap<>();
                    for (Row r : rows) {
                        m.put(r.getString(0), toMap(r.getJsonObject(1)));
                    }
                    return m;
                });
        return fetched.transform(ar -> {
            Throwable pgFailure = ar.failed() ? ar.cause() : null;
            Map<String, Map<String, Object>> stored = ar.succeeded() ? ar.result() : Map.of();
            List<Future<Result>> results = new ArrayList<>();
            for (Input in : inputs) {
                Map<String, Object> s = in.entityId() == null ? Map.of() : stored.get(in.entityId());
                // A batch's rows queue behind one another by design: none is dropped for waiting (see compute).
                results.add(afterFetch(model, in, s == null ? Map.of() : s, s != null,
                        in.entityId() == null ? null : pgFailure, false));
            }
            return Future.join(results).transform(done -> {
                if (done.failed()) { // a row dropped for overload fails the batch with it (503), never a null row
                    return Future.failedFuture(done.cause());
                }
                List<Result> out = new ArrayList<>();
                for (Future<Result> f : results) {
                    out.add(f.result());
                }
                return Future.succeededFuture(out);
            });
        });
    }

    /** An online-feature query behind the PostgreSQL breaker, counted while it holds or waits for a connection. */
    private Future<RowSet<Row>> fetch(java.util.function.Supplier<Future<RowSet<Row>>> query) {
        pgQueries.incrementAndGet();
        return pgBreaker.call(query).andThen(ar -> pgQueries.decrementAndGet());
    }

    private Future<Result> afterFetch(ModelHandle model, Input in, Map<String, Object> stored, boolean found,
                                      Throwable pgFailure, boolean droppable) {
        Map<String, Object> merged = new HashMap<>();
        for (String name : model.schema().names()) {
            if (stored.containsKey(name)) {
                merged.put(name, stored.get(name));
            }
        }
        merged.putAll(in.features());
        ValidationResult v = model.validator().validate(merged);
        String degraded = pgFailure == null ? null : "online features unavailable (" + describe(pgFailure)
                + "); scored from the request's features";
        if (!v.valid()) {
            if (pgFailure == null) {
                return Future.succeededFuture(new Result(model, null, v.violations(), found, false, null));
            }
            degradedCount.increment();
            return Future.succeededFuture(new Result(model, new ModelHandle.Prediction(fallback, null), List.of(),
                    false, false, "online features unavailable (" + describe(pgFailure) + ") and the request's"
                    + " features are not enough (" + v.violations().get(0) + "); default answer"));
        }
        Map<String, Object> row = model.encode(v.values());
        if (cache == null) {
            return compute(model, row, droppable).map(p -> result(model, p, found, false, degraded));
        }
        String key = PredictionCache.key(model, v.values());
        // One flight per key covers lookup, compute and store: concurrent identical requests in this replica share
        // one Redis GET, one scoring and one SET; requests after it find the value in Redis.
        return singleFlight.runSettling(key, () -> lookupOrCompute(model, key, row, droppable))
                .map(o -> result(model, o.prediction(), found, o.cached(), o.cacheProblem() == null ? degraded
                        : (degraded == null ? "" : degraded + "; ") + o.cacheProblem()));
    }

    /** What one flight found: the prediction, whether it came from the cache, and what went wrong with Redis. */
    record Outcome(ModelHandle.Prediction prediction, boolean cached, String cacheProblem) {}

    /** The flight: its outcome as soon as it is known, and settled once a computed value is stored (or not). */
    private SingleFlight.Flight<Outcome> lookupOrCompute(ModelHandle model, String key, Map<String, Object> row,
                                                         boolean droppable) {
        io.vertx.core.Promise<Object> settled = io.vertx.core.Promise.promise();
        Future<Outcome> value = cache.get(key).transform(ar -> {
            if (ar.failed()) {
                settled.tryComplete();
                return compute(model, row, droppable).map(p -> new Outcome(p, false, "cache unavailable ("
                        + describe(ar.cause()) + "); computed and not cached"));
            }
            PredictionCache.Entry e = ar.result();
            if (e != null && !cache.refreshEarly(e, System.currentTimeMillis())) {
                hits.increment();
                settled.tryComplete();
                return Future.succeededFuture(new Outcome(fromJson(e.prediction()), true, null));
            }
            misses.increment();
            long t0 = System.nanoTime();
            return compute(model, row, droppable)
                    .onSuccess(p -> cache.put(key, toJson(p), (System.nanoTime() - t0) / 1e6)
                            .onComplete(put -> settled.tryComplete()))
                    .onFailure(x -> settled.tryComplete())
                    .map(p -> new Outcome(p, false, null));
        });
        return new SingleFlight.Flight<>(value, settled.future());
    }

    private Result result(ModelHandle model, ModelHandle.Prediction p, boolean found, boolean cached, String degraded) {
        if (degraded != null) {
            degradedCount.increment();
        }
        return new Result(model, p, List.of(), found, cached, degraded);
    }

    /**
     * Scores a row, inline or on the worker pool. A {@code droppable} scoring (a single request's) that waited past
     * the deadline is not run; a batch's rows are not droppable, because a batch of many rows queues behind itself
     * and would otherwise fail on an idle server.
     */
    private Future<ModelHandle.Prediction> compute(ModelHandle model, Map<String, Object> row, boolean droppable) {
        if (model.inline()) {
            long t0 = System.nanoTime();
            ModelHandle.Prediction p = model.score(row);
            inlineTimer.record(System.nanoTime() - t0, TimeUnit.NANOSECONDS);
            return Future.succeededFuture(p);
        }
        long enqueued = queue.enqueued();
        return workers.executeBlocking(() -> {
            long t0 = System.nanoTime();
            if (!queue.started(enqueued, t0, droppable)) {
                throw new QueueDelay.Overloaded("the scoring waited " + (t0 - enqueued) / 1_000_000 + " ms for a"
                        + " worker, past the " + queue.deadlineMillis() + " ms deadline");
            }
            ModelHandle.Prediction p = model.score(row);
            long took = System.nanoTime() - t0;
            queue.served(took);
            workerTimer.record(took, TimeUnit.NANOSECONDS);
            return p;
        }, false);
    }

    static JsonObject toJson(ModelHandle.Prediction p) {
        JsonObject o = new JsonObject().put("prediction", p.value());
        if (p.probabilities() != null) {
            o.put("probabilities", new JsonObject(new LinkedHashMap<>(p.probabilities())));
        }
        return o;
    }

    private static ModelHandle.Prediction fromJson(JsonObject o) {
        Map<String, Double> probs = null;
        if (o.getJsonObject("probabilities") != null) {
            probs = new LinkedHashMap<>();
            for (Map.Entry<String, Object> e : o.getJsonObject("probabilities")) {
                probs.put(e.getKey(), ((Number) e.getValue()).doubleValue());
            }
        }
        return new ModelHandle.Prediction(o.getValue("prediction"), probs);
    }

    private static String describe(Throwable t) {
        return t.getClass().getSimpleName() + (t.getMessage() == null ? "" : ": " + t.getMessage());
    }

    private static Map<String, Object> toMap(JsonObject o) {
        return o == null ? Map.of() : o.getMap();
    }

    public QueueDelay queue() {
        return queue;
    }
}
