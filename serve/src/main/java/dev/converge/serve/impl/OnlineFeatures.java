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
import java.util.function.Function;
import io.vertx.sqlclient.SqlConnection;
import dev.converge.serve.predict.OverloadedException;
import dev.converge.serve.predict.ShedReason;

/**
 * The entities' latest features from {@code feature_online}, hot and cold merged, through the reactive PostgreSQL
 * pool and behind the PostgreSQL breaker; GraphQL's reads ({@link GraphStore}) run through it too. Every statement is
 * counted for the request that asked for it ({@link StatementTally}).
 */
final class OnlineFeatures {
    private static final String FETCH_ONE = "SELECT hot || coalesce(cold, '{}'::jsonb) FROM feature_online"
            + " WHERE entity_id = $1";
    private static final String FETCH_MANY = "SELECT entity_id, hot || coalesce(cold, '{}'::jsonb) FROM feature_online"
            + " WHERE entity_id = ANY($1)";
    /**
     * With the entity's vectors too (stored apart: {@link dev.converge.registry.VectorIndex#vectorsOf}), for models
     * that read one; the others' fetch stays one index lookup.
     */
    private static final String WITH_VECTORS = "hot || coalesce(cold, '{}'::jsonb) || coalesce(v, '{}'::jsonb)"
            + " FROM feature_online o, LATERAL " + dev.converge.registry.VectorIndex.vectorsOf("o") + " AS vec(v)";
    private static final String FETCH_ONE_VECTORS = "SELECT " + WITH_VECTORS + " WHERE entity_id = $1";
    private static final String FETCH_MANY_VECTORS = "SELECT entity_id, " + WITH_VECTORS + " WHERE entity_id = ANY($1)";

    private final Pool pg;
    private final Breaker breaker;
    private final AtomicInteger queries = new AtomicInteger();
    private final AtomicInteger held = new AtomicInteger();

    OnlineFeatures(Pool pg, Breaker breaker, MeterRegistry metrics) {
        this.pg = pg;
        this.breaker = breaker;
        // Each query holds one connection; beyond the pool's size the rest wait in its bounded queue.
        metrics.gauge("converge.pg.pool.in_use", held, AtomicInteger::get);
        metrics.gauge("converge.pg.pool.waiting", this, f -> Math.max(0, f.queries.get() - f.held.get()));
    }

    /** One entity's features (with its vectors when {@code vectors}), or null when it has none stored. */
    Future<Map<String, Object>> one(String entityId, boolean vectors) {
        return fetch(c -> c.preparedQuery(vectors ? FETCH_ONE_VECTORS : FETCH_ONE).execute(Tuple.of(entityId)))
                .map(rows -> rows.size() == 0 ? null : toMap(rows.iterator().next().getJsonObject(0)));
    }

    /** Up to {@code n} stored entity ids (for warming the path up); not behind the breaker, never counted. */
    Future<List<String>> sampleIds(int n) {
        return pg.preparedQuery("SELECT entity_id FROM feature_online LIMIT $1").execute(Tuple.of(n)).map(rows -> {
            List<String> ids = new java.util.ArrayList<>();
            for (Row r : rows) {
                ids.add(r.getString(0));
            }
            return ids;
        });
    }

    /** Many entities' features in one {@code = ANY($1)} query; entities with none stored are absent. */
    Future<Map<String, Map<String, Object>>> many(List<String> entityIds, boolean vectors) {
        if (entityIds.isEmpty()) {
            return Future.succeededFuture(Map.of());
        }
        return fetch(c -> c.preparedQuery(vectors ? FETCH_MANY_VECTORS : FETCH_MANY).execute(
                Tuple.of(entityIds.toArray(String[]::new))))
                .map(rows -> {
                    Map<String, Map<String, Object>> m = new HashMap<>();
                    for (Row r : rows) {
                        m.put(r.getString(0), toMap(r.getJsonObject(1)));
                    }
                    return m;
                });
    }

    /** Any read of the store (GraphQL's relations), behind the same breaker and pool as the online features. */
    Future<RowSet<Row>> query(String sql, Tuple args) {
        return fetch(c -> c.preparedQuery(sql).execute(args));
    }

    /** Statements in one transaction on one connection (SET LOCAL then a query), behind the same breaker and pool. */
    Future<RowSet<Row>> transaction(Function<SqlConnection, Future<RowSet<Row>>> statements) {
        return fetch(c -> c.begin().compose(tx -> statements.apply(c).compose(rows -> tx.commit().map(rows),
                e -> tx.rollback().transform(ignored -> Future.failedFuture(e)))));
    }

    /**
     * A query behind the breaker, counted while it holds or waits for a connection. The wait for a connection of
     * our own pool is not the dependency's time: it is bounded by the pool's connection timeout
     * (serve.pg_pool_wait_ms) and, when that runs out, answered as our overload, never counted against the breaker.
     * The breaker times the query alone.
     */
    private Future<RowSet<Row>> fetch(Function<SqlConnection, Future<RowSet<Row>>> query) {
        StatementTally.statement();
        queries.incrementAndGet();
        long t0 = System.nanoTime();
        return breaker.<SqlConnection, RowSet<Row>>callAfter(
                        () -> pg.getConnection().onSuccess(c -> held.incrementAndGet()),
                        e -> ownQueue(e) ? new OverloadedException(ShedReason.PG_POOL, "waited " + (System.nanoTime()
                                - t0) / 1_000_000 + " ms for one of the " + pg.size() + " connections to the feature"
                                + " store (serve.pg_pool_size)") : null,
                        c -> query.apply(c).eventually(() -> {
                            held.decrementAndGet();
                            return c.close();
                        }))
                .andThen(ar -> queries.decrementAndGet());
    }

    /**
     * Whether a failure to get a connection was our own queue: the pool's "no connection within its connection
     * timeout" while every connection was held by our queries. The same timeout with connections free means new
     * connections could not be opened: PostgreSQL's failure, which its breaker must count.
     */
    private boolean ownQueue(Throwable e) {
        return e instanceof io.vertx.core.VertxException && "Timeout waiting for connection".equals(e.getMessage())
                && held.get() >= pg.size();
    }

    private static Map<String, Object> toMap(JsonObject o) {
        return o == null ? Map.of() : o.getMap();
    }
}
