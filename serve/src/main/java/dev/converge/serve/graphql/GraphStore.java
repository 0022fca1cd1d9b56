package dev.converge.serve.graphql;

import dev.converge.registry.ChampionHistory;
import dev.converge.registry.ModelEvent;
import dev.converge.serve.pg.PgGateway;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * GraphQL's reads, one SQL statement per method call, each for any number of keys: the DataLoaders call them once
 * per batch. They run through {@link PgGateway}' pool and breaker, so GraphQL and REST share one PostgreSQL
 * dependency, bounded and counted the same way. Results are maps keyed by GraphQL field names.
 */
public final class GraphStore {
    private static final String MODEL_COLUMNS = "name, version, algorithm, artifact_sha256, h2o_version, git_commit,"
            + " feature_schema, training_window_start, training_window_end, metrics, created_at";

    /** A model version as a key. */
    public record VersionKey(String name, int version) {}

    /** One entity's latest stored row. */
    public record Latest(Instant eventTimestamp, Map<String, Object> hot, Map<String, Object> cold) {}

    /** History rows of an entity within [from, to), newest first, at most limit. */
    public record HistoryArgs(Instant from, Instant to, int limit) {}

    private final PgGateway pg;

    GraphStore(PgGateway pg) {
        this.pg = pg;
    }

    /** The latest row of each stored key; keys with none are absent. */
    public Future<Map<String, Latest>> latest(List<String> keys) {
        // Vectors are cold features, stored apart: merged into the cold document as every reader sees them.
        return pg.query("SELECT entity_id, event_timestamp, hot, CASE WHEN cold IS NULL AND v IS NULL THEN NULL"
                + " ELSE coalesce(cold, '{}') || coalesce(v, '{}') END FROM feature_online o, LATERAL "
                + dev.converge.registry.VectorIndex.vectorsOf("o") + " AS vec(v) WHERE entity_id = ANY($1)",
                Tuple.of(keys.toArray(String[]::new))).map(rows -> {
                    Map<String, Latest> out = new HashMap<>();
                    for (Row r : rows) {
                        out.put(r.getString(0), new Latest(instant(r.getOffsetDateTime(1)), map(r.getJsonObject(2)),
                                map(r.getJsonObject(3))));
                    }
                    return out;
                });
    }

    /**
     * Each key's history rows, newest first (ties: the later ingestion first), in one statement: a lateral index
     * scan per key on (entity_id, event_timestamp DESC, ingest_seq DESC).
     */
    public Future<Map<String, List<Map<String, Object>>>> history(List<String> keys, HistoryArgs a) {
        return pg.query("SELECT k.id, h.event_timestamp, h.ingested_at, h.feature_version, h.hot,"
                + " CASE WHEN h.vector_digest IS NULL THEN h.cold ELSE coalesce(h.cold, '{}') || coalesce((SELECT"
                + " jsonb_object_agg(v.feature, to_jsonb(v.embedding)) FROM feature_vector_history v"
                + " WHERE v.entity_id = k.id AND v.event_timestamp = h.event_timestamp AND v.ingest_seq = h.ingest_seq),"
                + " '{}') END FROM unnest($1::text[]) AS k(id) CROSS JOIN LATERAL (SELECT event_timestamp, ingested_at,"
                + " feature_version, hot, cold, ingest_seq, vector_digest FROM feature_history WHERE entity_id = k.id"
                + " AND event_timestamp >= coalesce($2::timestamptz, '-infinity')"
                + " AND event_timestamp < coalesce($3::timestamptz, 'infinity')"
                + " ORDER BY event_timestamp DESC, ingest_seq DESC NULLS LAST LIMIT $4) h",
                Tuple.of(keys.toArray(String[]::new), offset(a.from()), offset(a.to()), a.limit())).map(rows -> {
                    Map<String, List<Map<String, Object>>> out = new HashMap<>();
                    for (Row r : rows) {
                        Map<String, Object> row = new LinkedHashMap<>();
                        row.put("eventTimestamp", instant(r.getOffsetDateTime(1)));
                        row.put("ingestedAt", instant(r.getOffsetDateTime(2)));
                        row.put("schemaVersion", r.getInteger(3));
                        row.put("hot", map(r.getJsonObject(4)));
                        row.put("cold", map(r.getJsonObject(5)));
                        out.computeIfAbsent(r.getString(0), k -> new ArrayList<>()).add(row);
                    }
                    return out;
                });
    }

    /** The newest {@code last} versions of a model, newest first. */
    public Future<List<Map<String, Object>>> models(String name, int last) {
        return pg.query("SELECT " + MODEL_COLUMNS + " FROM model_versions WHERE name = $1 ORDER BY version DESC"
                + " LIMIT $2", Tuple.of(name, last)).map(rows -> {
                    List<Map<String, Object>> out = new ArrayList<>();
                    rows.forEach(r -> out.add(model(r)));
                    return out;
                });
    }

    /** Versions by key, in one statement; keys with no version are absent. */
    public Future<Map<VersionKey, Map<String, Object>>> versions(List<VersionKey> keys) {
        return pg.query("SELECT " + MODEL_COLUMNS + " FROM model_versions WHERE (name, version) IN"
                + " (SELECT * FROM unnest($1::text[], $2::int[]))", keyArrays(keys)).map(rows -> {
                    Map<VersionKey, Map<String, Object>> out = new HashMap<>();
                    rows.forEach(r -> out.put(new VersionKey(r.getString(0), r.getInteger(1)), model(r)));
                    return out;
                });
    }

    /** Each version's events, oldest first, in one statement. */
    public Future<Map<VersionKey, List<Map<String, Object>>>> events(List<VersionKey> keys) {
        return pg.query("SELECT name, version, event, actor, reason, created_at FROM model_events WHERE (name, version)"
                + " IN (SELECT * FROM unnest($1::text[], $2::int[])) ORDER BY id", keyArrays(keys)).map(rows -> {
                    Map<VersionKey, List<Map<String, Object>>> out = new HashMap<>();
                    for (Row r : rows) {
                        Map<String, Object> e = new LinkedHashMap<>();
                        e.put("event", r.getString(2));
                        e.put("version", r.getInteger(1));
                        e.put("actor", r.getString(3));
                        e.put("reason", r.getString(4));
                        e.put("at", instant(r.getOffsetDateTime(5)));
                        out.computeIfAbsent(new VersionKey(r.getString(0), r.getInteger(1)), k -> new ArrayList<>())
                                .add(e);
                    }
                    return out;
                });
    }

    /**
     * The champion by the registry's own rule ({@link ChampionHistory}), in one statement: each of the model's events
     * comes with the version it names, and the version the replayed history ends on is returned.
     */
    public Future<Map<String, Object>> champion(String name) {
        return pg.query("SELECT " + MODEL_COLUMNS.replaceAll("(\\w+)", "v.$1") + ", e.id, e.event, e.actor, e.reason,"
                + " e.created_at FROM model_events e JOIN model_versions v USING (name, version) WHERE e.name = $1"
                + " ORDER BY e.id", Tuple.of(name)).map(rows -> {
                    List<ModelEvent> history = new ArrayList<>();
                    Map<Integer, Map<String, Object>> versions = new HashMap<>();
                    for (Row r : rows) {
                        int version = r.getInteger(1);
                        history.add(new ModelEvent(r.getLong(11), name, version,
                                ModelEvent.Type.fromWireName(r.getString(12)), r.getString(13), r.getString(14),
                                instant(r.getOffsetDateTime(15))));
                        versions.computeIfAbsent(version, v -> model(r));
                    }
                    return ChampionHistory.replay(history).champion().map(versions::get).orElse(null);
                });
    }

    private static Tuple keyArrays(List<VersionKey> keys) {
        return Tuple.tuple().addArrayOfString(keys.stream().map(VersionKey::name).toArray(String[]::new))
                .addArrayOfInteger(keys.stream().map(VersionKey::version).toArray(Integer[]::new));
    }

    private static Map<String, Object> model(Row r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", r.getString(0));
        m.put("version", r.getInteger(1));
        m.put("algorithm", r.getString(2));
        m.put("artifactSha256", r.getString(3));
        m.put("h2oVersion", r.getString(4));
        m.put("gitCommit", r.getString(5));
        m.put("inputSchema", map(r.getJsonObject(6)));
        Instant start = instant(r.getOffsetDateTime(7));
        Instant end = instant(r.getOffsetDateTime(8));
        Map<String, Object> window = new HashMap<>();
        window.put("start", start);
        window.put("end", end);
        m.put("trainingWindow", start == null && end == null ? null : window);
        m.put("metrics", map(r.getJsonObject(9)));
        m.put("createdAt", instant(r.getOffsetDateTime(10)));
        return m;
    }

    private static Map<String, Object> map(JsonObject o) {
        return o == null ? null : o.getMap();
    }

    private static Instant instant(OffsetDateTime t) {
        return t == null ? null : t.toInstant();
    }

    private static OffsetDateTime offset(Instant t) {
        return t == null ? null : t.atOffset(ZoneOffset.UTC);
    }
}
