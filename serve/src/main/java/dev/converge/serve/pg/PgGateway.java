package dev.converge.serve.pg;

import dev.converge.serve.predict.OverloadedException;
import dev.converge.serve.predict.ShedReason;
import dev.converge.serve.resilience.Breaker;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * The entities' latest features from {@code feature_online}, hot and cold merged, through the reactive PostgreSQL
 * pool and behind the PostgreSQL breaker; GraphQL's reads ({@link GraphStore}) run through it too. Every statement is
 * counted for the request that asked for it ({@link StatementTally}).
 *
 * <p>With a read replica ({@code serve.online_read_url}, a hot standby), every read goes there first, through a pool
 * and breaker of its own; a read the replica fails (down, too slow, its breaker open, its pool full) is asked of the
 * primary at once, so the replica's death costs a retry, not an answer. The replica is only read: nothing here writes.
 */
public final class PgGateway {
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
    private final Route primary;
    private volatile Route writes;
    private final Route replica;
    private final io.micrometer.core.instrument.Counter replicaReads;
    private final io.micrometer.core.instrument.Counter replicaFallbacks;

    /** One database the reads can go to: its pool, its breaker, and what it holds and waits for. */
    private record Route(Pool pool, Breaker breaker, AtomicInteger queries, AtomicInteger held) {
        Route(Pool pool, Breaker breaker) {
            this(pool, breaker, new AtomicInteger(), new AtomicInteger());
        }
    }

    public PgGateway(Pool pg, Breaker breaker, MeterRegistry metrics) {
        this(pg, breaker, null, null, metrics);
    }

    /** With a read replica ({@code replicaPool} and its own breaker) tried first; null for the primary only. */
    public PgGateway(Pool pg, Breaker breaker, Pool replicaPool, Breaker replicaBreaker, MeterRegistry metrics) {
        this.pg = pg;
        this.primary = new Route(pg, breaker);
        this.writes = primary;
        this.replica = replicaPool == null ? null : new Route(replicaPool, replicaBreaker);
        // Each query holds one connection; beyond the pool's size the rest wait in its bounded queue.
        metrics.gauge("converge.pg.pool.in_use", primary.held(), AtomicInteger::get);
        metrics.gauge("converge.pg.pool.waiting", primary, r -> Math.max(0, r.queries().get() - r.held().get()));
        if (replica != null) {
            metrics.gauge("converge.pg.replica.pool.in_use", replica.held(), AtomicInteger::get);
            metrics.gauge("converge.pg.replica.pool.waiting", replica,
                    r -> Math.max(0, r.queries().get() - r.held().get()));
        }
        replicaReads = io.micrometer.core.instrument.Counter.builder("converge.pg.replica.reads")
                .description("online reads answered by the read replica (serve.online_read_url)").register(metrics);
        replicaFallbacks = io.micrometer.core.instrument.Counter.builder("converge.pg.replica.fallbacks")
                .description("online reads the read replica failed, asked of the primary instead").register(metrics);
    }

    /** Whether reads go to a replica first. */
    boolean hasReplica() {
        return replica != null;
    }

    /** One entity's features (with its vectors when {@code vectors}), or null when it has none stored. */
    public Future<Map<String, Object>> one(String entityId, boolean vectors) {
        return fetch(c -> c.preparedQuery(vectors ? FETCH_ONE_VECTORS : FETCH_ONE).execute(Tuple.of(entityId)))
                .map(rows -> rows.size() == 0 ? null : toMap(rows.iterator().next().getJsonObject(0)));
    }

    /** Up to {@code n} stored entity ids (for warming the path up); not behind the breaker, never counted. */
    public Future<List<String>> sampleIds(int n) {
        return pg.preparedQuery("SELECT entity_id FROM feature_online LIMIT $1").execute(Tuple.of(n)).map(rows -> {
            List<String> ids = new java.util.ArrayList<>();
            for (Row r : rows) {
                ids.add(r.getString(0));
            }
            return ids;
        });
    }

    /**
     * With a replica, the primary reads only when the replica fails, and then at once for many requests: its
     * connections are opened and the read statements prepared on them now, so that the first fallback does not pay
     * for connecting and preparing (a cold first query can outlast the breaker's timeout). Not behind the breaker,
     * never counted; never fails.
     */
    public Future<Void> warmPrimary(List<String> ids) {
        if (replica == null || ids.isEmpty()) {
            return Future.succeededFuture();
        }
        List<Future<?>> all = new java.util.ArrayList<>();
        for (int i = 0; i < 16; i++) {
            String id = ids.get(i % ids.size());
            all.add(pg.preparedQuery(FETCH_ONE).execute(Tuple.of(id)));
            all.add(pg.preparedQuery(FETCH_MANY).execute(Tuple.of((Object) new String[] {id})));
        }
        return Future.join(all).<Void>mapEmpty().recover(e -> Future.succeededFuture());
    }

    /** Many entities' features in one {@code = ANY($1)} query; entities with none stored are absent. */
    public Future<Map<String, Map<String, Object>>> many(List<String> entityIds, boolean vectors) {
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

    /**
     * A write (a label's feedback): always to the primary, never tried on a read replica first (a standby refuses
     * writes, and each refusal would count against its breaker), behind a breaker of its own whose timeout is a
     * write's, not a feature fetch's ({@link #withWrites}).
     */
    public Future<RowSet<Row>> write(String sql, Tuple args) {
        StatementTally.statement();
        return fetch(writes, c -> c.preparedQuery(sql).execute(args));
    }

    /** This gateway with writes behind {@code breaker} (on the primary's pool); the fetch breaker until then. */
    public PgGateway withWrites(Breaker breaker) {
        writes = new Route(primary.pool(), breaker, primary.queries(), primary.held());
        return this;
    }

    /** Any read of the store (GraphQL's relations), behind the same breaker and pool as the online features. */
    public Future<RowSet<Row>> query(String sql, Tuple args) {
        return fetch(c -> c.preparedQuery(sql).execute(args));
    }

    /** Statements in one transaction on one connection (SET LOCAL then a query), behind the same breaker and pool. */
    public Future<RowSet<Row>> transaction(Function<SqlConnection, Future<RowSet<Row>>> statements) {
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
        if (replica == null) {
            return fetch(primary, query);
        }
        return fetch(replica, query).transform(ar -> {
            if (ar.succeeded()) {
                replicaReads.increment();
                return Future.succeededFuture(ar.result());
            }
            replicaFallbacks.increment();
            return fetch(primary, query);
        });
    }

    private static Future<RowSet<Row>> fetch(Route route, Function<SqlConnection, Future<RowSet<Row>>> query) {
        route.queries().incrementAndGet();
        long t0 = System.nanoTime();
        return route.breaker().<SqlConnection, RowSet<Row>>callAfter(
                        () -> route.pool().getConnection().onSuccess(c -> route.held().incrementAndGet()),
                        e -> ownQueue(route, e) ? new OverloadedException(ShedReason.PG_POOL, "waited "
                                + (System.nanoTime() - t0) / 1_000_000 + " ms for one of the " + route.pool().size()
                                + " connections to the feature store (serve.pg_pool_size)") : null,
                        c -> query.apply(c).eventually(() -> {
                            route.held().decrementAndGet();
                            return c.close();
                        }))
                .andThen(ar -> route.queries().decrementAndGet());
    }

    /**
     * Whether a failure to get a connection was our own queue: the pool's "no connection within its connection
     * timeout" while every connection was held by our queries. The same timeout with connections free means new
     * connections could not be opened: PostgreSQL's failure, which its breaker must count.
     */
    private static boolean ownQueue(Route route, Throwable e) {
        return e instanceof io.vertx.core.VertxException && "Timeout waiting for connection".equals(e.getMessage())
                && route.held().get() >= route.pool().size();
    }

    private static Map<String, Object> toMap(JsonObject o) {
        return o == null ? Map.of() : o.getMap();
    }
}
