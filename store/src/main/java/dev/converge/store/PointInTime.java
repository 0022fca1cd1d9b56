package dev.converge.store;

import dev.converge.registry.codec.Json;
import java.io.IOException;
import java.io.StringReader;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Iterator;
import java.util.function.Consumer;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyManager;

/**
 * Point-in-time correct extraction for training. For each label event (entity, t) it returns the latest feature
 * row with {@code event_timestamp <= t}, and, when {@code asOf} is given, {@code ingested_at <= asOf}: the
 * features as they were known then, corrections that arrived later excluded. The whole extraction sees one
 * REPEATABLE READ snapshot, and rows stream through a server-side cursor, so memory stays flat.
 */
public final class PointInTime {
    private static final int LABEL_CHUNK = 50_000;
    private static final int FETCH_SIZE = 2_000;

    private final Database db;

    public PointInTime(Database db) {
        this.db = db;
    }

    /** One label event per entity, at the event time of its latest features (what "train on the store" means). */
    public java.util.List<LabelEvent> latestEvents(String entityPrefix) throws SQLException {
        java.util.List<LabelEvent> out = new java.util.ArrayList<>();
        try (Connection c = db.connection(); PreparedStatement q = c.prepareStatement("SELECT entity_id,"
                + " event_timestamp FROM feature_online WHERE starts_with(entity_id, ?) ORDER BY entity_id")) {
            q.setString(1, entityPrefix == null ? "" : entityPrefix);
            try (ResultSet rs = q.executeQuery()) {
                while (rs.next()) {
                    out.add(new LabelEvent(rs.getString(1), rs.getTimestamp(2).toInstant()));
                }
            }
        }
        return out;
    }

    /**
     * Every stored event (entity, event time) as a label event, in time order: time-series training, where each
     * day of one entity is an example. Rows ingested after {@code asOf} (when given) are left out, as extraction
     * does; {@code since} (when given) keeps events at or after it.
     */
    public java.util.List<LabelEvent> allEvents(String entityPrefix, Instant since, Instant asOf) throws SQLException {
        java.util.List<LabelEvent> out = new java.util.ArrayList<>();
        try (Connection c = db.connection(); PreparedStatement q = c.prepareStatement("SELECT DISTINCT entity_id,"
                + " event_timestamp FROM feature_history WHERE starts_with(entity_id, ?)"
                + " AND (?::timestamptz IS NULL OR event_timestamp >= ?::timestamptz)"
                + " AND (?::timestamptz IS NULL OR ingested_at <= ?::timestamptz)"
                + " ORDER BY event_timestamp, entity_id")) {
            q.setString(1, entityPrefix == null ? "" : entityPrefix);
            Timestamp s = since == null ? null : Timestamp.from(since);
            Timestamp a = asOf == null ? null : Timestamp.from(asOf);
            q.setTimestamp(2, s);
            q.setTimestamp(3, s);
            q.setTimestamp(4, a);
            q.setTimestamp(5, a);
            q.setFetchSize(FETCH_SIZE);
            try (ResultSet rs = q.executeQuery()) {
                while (rs.next()) {
                    out.add(new LabelEvent(rs.getString(1), rs.getTimestamp(2).toInstant()));
                }
            }
        }
        return out;
    }

    /**
     * Streams one {@link PitRow} per event, in input order, to {@code sink}.
     *
     * @return the number of rows emitted
     */
    public long extract(Iterator<LabelEvent> events, Instant asOf, boolean includeCold, Consumer<PitRow> sink)
            throws SQLException, IOException {
        try (Connection c = db.connection()) {
            c.setAutoCommit(false);
            c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            try {
                try (Statement st = c.createStatement()) {
                    st.execute("CREATE TEMP TABLE converge_labels (idx bigint NOT NULL, entity_id text NOT NULL,"
                            + " ts timestamptz NOT NULL) ON COMMIT DROP");
                }
                CopyManager copier = c.unwrap(PGConnection.class).getCopyAPI();
                StringBuilder chunk = new StringBuilder();
                long idx = 0;
                int inChunk = 0;
                while (events.hasNext()) {
                    LabelEvent e = events.next();
                    chunk.append(idx++).append(",\"").append(e.entityId().replace("\"", "\"\"")).append("\",")
                            .append(e.time()).append('\n');
                    if (++inChunk == LABEL_CHUNK) {
                        copier.copyIn("COPY converge_labels FROM STDIN (FORMAT csv)", new StringReader(chunk.toString()));
                        chunk.setLength(0);
                        inChunk = 0;
                    }
                }
                if (inChunk > 0) {
                    copier.copyIn("COPY converge_labels FROM STDIN (FORMAT csv)", new StringReader(chunk.toString()));
                }
                try (Statement st = c.createStatement()) {
                    st.execute("ANALYZE converge_labels");
                }
                long emitted = 0;
                // Vectors are cold: the row's own, by its key, merged into its cold document.
                String cold = !includeCold ? "NULL" : "(CASE WHEN f.vector_digest IS NULL THEN f.cold"
                        + " ELSE coalesce(f.cold, '{}') || coalesce((SELECT jsonb_object_agg(v.feature,"
                        + " to_jsonb(v.embedding)) FROM feature_vector_history v WHERE v.entity_id = l.entity_id"
                        + " AND v.event_timestamp = f.event_timestamp AND v.ingest_seq = f.ingest_seq), '{}') END)::text";
                try (PreparedStatement q = c.prepareStatement("SELECT l.idx, l.entity_id, l.ts, f.event_timestamp,"
                        + " f.ingested_at, f.feature_version, f.hot::text, " + cold
                        + " FROM converge_labels l LEFT JOIN LATERAL ("
                        + "   SELECT h.event_timestamp, h.ingested_at, h.feature_version, h.hot, h.cold, h.ingest_seq,"
                        + "   h.vector_digest FROM feature_history h"
                        + "   WHERE h.entity_id = l.entity_id AND h.event_timestamp <= l.ts"
                        + "     AND (?::timestamptz IS NULL OR h.ingested_at <= ?::timestamptz)"
                        + "   ORDER BY h.event_timestamp DESC, h.ingest_seq DESC NULLS LAST LIMIT 1) f ON true"
                        + " ORDER BY l.idx")) {
                    Timestamp asOfTs = asOf == null ? null : Timestamp.from(asOf);
                    q.setTimestamp(1, asOfTs);
                    q.setTimestamp(2, asOfTs);
                    q.setFetchSize(FETCH_SIZE);
                    try (ResultSet rs = q.executeQuery()) {
                        while (rs.next()) {
                            Timestamp ft = rs.getTimestamp(4);
                            Timestamp it = rs.getTimestamp(5);
                            sink.accept(new PitRow(rs.getLong(1), rs.getString(2), rs.getTimestamp(3).toInstant(),
                                    ft == null ? null : ft.toInstant(), it == null ? null : it.toInstant(),
                                    ft == null ? null : rs.getInt(6), Json.readMap(rs.getString(7)),
                                    Json.readMap(rs.getString(8))));
                            emitted++;
                        }
                    }
                }
                c.commit();
                return emitted;
            } catch (SQLException | IOException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        }
    }
}
