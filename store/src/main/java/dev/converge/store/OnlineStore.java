package dev.converge.store;

import dev.converge.registry.codec.Json;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Online reads: point lookups on {@code feature_online} by primary key, for one entity or for many in one round
 * trip ({@code = ANY(?)}). Reading hot only never touches the cold documents' TOAST.
 */
public final class OnlineStore {
    private static final String HOT = "SELECT entity_id, event_timestamp, ingested_at, feature_version, hot::text,"
            + " NULL FROM feature_online";
    /** Cold with the entity's vectors (cold too), null when there are neither. */
    private static final String ALL = "SELECT entity_id, event_timestamp, ingested_at, feature_version, hot::text,"
            + " (CASE WHEN cold IS NULL AND v IS NULL THEN NULL ELSE coalesce(cold, '{}') || coalesce(v, '{}') END)::text"
            + " FROM feature_online o, LATERAL " + dev.converge.registry.VectorIndex.vectorsOf("o") + " AS vec(v)";


    private final Database db;

    public OnlineStore(Database db) {
        this.db = db;
    }

    public Optional<OnlineRow> read(String entityId, boolean includeCold) throws SQLException {
        try (Connection c = db.connection()) {
            return read(c, entityId, includeCold);
        }
    }

    /** One lookup on a caller-held connection (benchmarks and servers reuse connections). */
    public static Optional<OnlineRow> read(Connection c, String entityId, boolean includeCold) throws SQLException {
        try (PreparedStatement q = c.prepareStatement((includeCold ? ALL : HOT) + " WHERE entity_id = ?")) {
            q.setString(1, entityId);
            try (ResultSet rs = q.executeQuery()) {
                return rs.next() ? Optional.of(row(rs)) : Optional.empty();
            }
        }
    }

    /** Many entities in one round trip; entities with no features are absent from the result. */
    public Map<String, OnlineRow> readMany(Collection<String> entityIds, boolean includeCold) throws SQLException {
        try (Connection c = db.connection()) {
            return readMany(c, entityIds, includeCold);
        }
    }

    public static Map<String, OnlineRow> readMany(Connection c, Collection<String> entityIds, boolean includeCold)
            throws SQLException {
        Map<String, OnlineRow> out = new LinkedHashMap<>();
        if (entityIds.isEmpty()) {
            return out;
        }
        Array ids = c.createArrayOf("text", entityIds.toArray());
        try (PreparedStatement q = c.prepareStatement((includeCold ? ALL : HOT) + " WHERE entity_id = ANY(?)")) {
            q.setArray(1, ids);
            try (ResultSet rs = q.executeQuery()) {
                while (rs.next()) {
                    OnlineRow r = row(rs);
                    out.put(r.entityId(), r);
                }
            }
        } finally {
            ids.free();
        }
        return out;
    }

    private static OnlineRow row(ResultSet rs) throws SQLException {
        return new OnlineRow(rs.getString(1), rs.getTimestamp(2).toInstant(), rs.getTimestamp(3).toInstant(),
                rs.getInt(4), Json.readMap(rs.getString(5)), Json.readMap(rs.getString(6)));
    }
}
