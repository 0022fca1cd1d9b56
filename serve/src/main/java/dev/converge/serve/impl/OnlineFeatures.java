package dev.converge.serve.impl;

import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * The entities' latest features from {@code feature_online}, hot and cold merged, through the reactive PostgreSQL
 * pool and behind the PostgreSQL breaker. The only room of the server that speaks SQL.
 */
final class OnlineFeatures {
    private static final String FETCH_ONE = "SELECT hot || coalesce(cold, '{}'::jsonb) FROM feature_online"
            + " WHERE entity_id = $1";
    private static final String FETCH_MANY = "SELECT entity_id, hot || coalesce(cold, '{}'::jsonb) FROM feature_online"
            + " WHERE entity_id = ANY($1)";

    private final Pool pg;
    private final Breaker breaker;
    private final AtomicInteger queries = new AtomicInteger();

    OnlineFeatures(Pool pg, Breaker breaker, MeterRegistry metrics) {
        this.pg = pg;
        this.breaker = breaker;
        // Each query holds one connection; beyond the pool's size the rest wait in its bounded queue.
        metrics.gauge("converge.pg.pool.in_use", queries, q -> Math.min(q.get(), pg.size()));
        metrics.gauge("converge.pg.pool.waiting", queries, q -> Math.max(0, q.get() - pg.size()));
    }

    /** One entity's features, or null when it has none stored. */
    Future<Map<String, Object>> one(String entityId) {
        return fetch(() -> pg.preparedQuery(FETCH_ONE).execute(Tuple.of(entityId)))
                .map(rows -> rows.size() == 0 ? null : toMap(rows.iterator().next().getJsonObject(0)));
    }

    /** Many entities' features in one {@code = ANY($1)} query; entities with none stored are absent. */
    Future<Map<String, Map<String, Object>>> many(List<String> entityIds) {
        if (entityIds.isEmpty()) {
            return Future.succeededFuture(Map.of());
        }
        return fetch(() -> pg.preparedQuery(FETCH_MANY).execute(Tuple.of(entityIds.toArray(String[]::new))))
                .map(rows -> {
                    Map<String, Map<String, Object>> m = new HashMap<>();
                    for (Row r : rows) {
                        m.put(r.getString(0), toMap(r.getJsonObject(1)));
                    }
                    return m;
                });
    }

    /** A query behind the breaker, counted while it holds or waits for a connection. */
    private Future<RowSet<Row>> fetch(Supplier<Future<RowSet<Row>>> query) {
        queries.incrementAndGet();
        return breaker.call(query).andThen(ar -> queries.decrementAndGet());
    }

    private static Map<String, Object> toMap(JsonObject o) {
        return o == null ? Map.of() : o.getMap();
    }
}
