package dev.converge.serve.impl;

import dev.converge.contracts.ValidationResult;
import dev.converge.contracts.Violation;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.Future;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The scoring path, asynchronous end to end: fetch online features (reactive PostgreSQL), merge the request's
 * features over them, validate the whole row with the shared contracts, encode it as training did, and score it,
 * inline on the event loop for cheap models or on the scoring worker pool for costly ones.
 */
public final class Scoring {
    /** A request row, already checked for shape. */
    public record Input(String entityId, Map<String, Object> features) {}

    /** The outcome of one row: a prediction, or violations (never both). */
    public record Result(ModelHandle model, ModelHandle.Prediction prediction, List<Violation> violations,
                         boolean entityFound) {}

    private static final String FETCH_ONE = "SELECT hot || coalesce(cold, '{}'::jsonb) FROM feature_online"
            + " WHERE entity_id = $1";
    private static final String FETCH_MANY = "SELECT entity_id, hot || coalesce(cold, '{}'::jsonb) FROM feature_online"
            + " WHERE entity_id = ANY($1)";

    private final Pool pg;
    private final WorkerExecutor workers;
    private final AtomicInteger queued = new AtomicInteger();
    private final Timer inlineTimer;
    private final Timer workerTimer;

    public Scoring(Pool pg, WorkerExecutor workers, MeterRegistry metrics) {
        this.pg = pg;
        this.workers = workers;
        this.inlineTimer = Timer.builder("converge.scoring").tag("mode", "inline").publishPercentileHistogram()
                .register(metrics);
        this.workerTimer = Timer.builder("converge.scoring").tag("mode", "worker").publishPercentileHistogram()
                .register(metrics);
        metrics.gauge("converge.scoring.queue", queued);
    }

    /** Scores one row on {@code model}. */
    public Future<Result> one(ModelHandle model, Input in) {
        if (in.entityId() == null) {
            return score(model, in, Map.of(), false);
        }
        return pg.preparedQuery(FETCH_ONE).execute(Tuple.of(in.entityId())).compose(rows -> {
            boolean found = rows.size() > 0;
            Map<String, Object> stored = found ? toMap(rows.iterator().next().getJsonObject(0)) : Map.of();
            return score(model, in, stored, found);
        });
    }

    /** Scores many rows, fetching all their entities in one query; a bad row never fails the others. */
    public Future<List<Result>> many(ModelHandle model, List<Input> inputs) {
        List<String> ids = new ArrayList<>();
        for (Input in : inputs) {
            if (in.entityId() != null) {
                ids.add(in.entityId());
            }
        }
        Future<Map<String, Map<String, Object>>> fetched = ids.isEmpty() ? Future.succeededFuture(Map.of())
                : pg.preparedQuery(FETCH_MANY).execute(Tuple.of(ids.toArray(String[]::new))).map(rows -> {
                    Map<String, Map<String, Object>> m = new HashMap<>();
                    for (Row r : rows) {
                        m.put(r.getString(0), toMap(r.getJsonObject(1)));
                    }
                    return m;
                });
        return fetched.compose(stored -> {
            List<Future<Result>> results = new ArrayList<>();
            for (Input in : inputs) {
                Map<String, Object> s = in.entityId() == null ? Map.of() : stored.get(in.entityId());
                results.add(score(model, in, s == null ? Map.of() : s, s != null));
            }
            return Future.join(results).map(cf -> {
                List<Result> out = new ArrayList<>();
                for (int i = 0; i < results.size(); i++) {
                    out.add(results.get(i).result());
                }
                return out;
            });
        });
    }

    private Future<Result> score(ModelHandle model, Input in, Map<String, Object> stored, boolean found) {
        Map<String, Object> merged = new HashMap<>();
        for (String name : model.schema().names()) {
            if (stored.containsKey(name)) {
                merged.put(name, stored.get(name));
            }
        }
        merged.putAll(in.features());
        ValidationResult v = model.validator().validate(merged);
        if (!v.valid()) {
            return Future.succeededFuture(new Result(model, null, v.violations(), found));
        }
        Map<String, Object> row = model.encode(v.values());
        if (model.inline()) {
            long t0 = System.nanoTime();
            ModelHandle.Prediction p = model.score(row);
            inlineTimer.record(System.nanoTime() - t0, TimeUnit.NANOSECONDS);
            return Future.succeededFuture(new Result(model, p, List.of(), found));
        }
        queued.incrementAndGet();
        return workers.executeBlocking(() -> {
            queued.decrementAndGet();
            long t0 = System.nanoTime();
            ModelHandle.Prediction p = model.score(row);
            workerTimer.record(System.nanoTime() - t0, TimeUnit.NANOSECONDS);
            return new Result(model, p, List.of(), found);
        }, false);
    }

    private static Map<String, Object> toMap(JsonObject o) {
        return o == null ? Map.of() : o.getMap();
    }

    public int queued() {
        return queued.get();
    }
}
