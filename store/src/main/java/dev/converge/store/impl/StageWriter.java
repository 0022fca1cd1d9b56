package dev.converge.store.impl;

import dev.converge.contracts.Violation;
import dev.converge.registry.codec.Json;
import dev.converge.store.IngestReport;
import dev.converge.store.StoreLimits;
import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyManager;

/**
 * Writes an ingestion's batches, one transaction each: COPY into the session's staging table, move the rows that fit
 * into {@code feature_history}, the newest per entity into {@code feature_online}, and every refused row with its
 * reasons into {@code ingest_rejects}. Keeps the run's counts. Used by one thread.
 */
public final class StageWriter {
    /**
     * Moves the newest staged row per entity into feature_online. An existing row is replaced only by an event
     * at the same time or later (a same-time row ingested later is a correction); an older event never wins.
     */
    private static final String UPSERT_ONLINE = "INSERT INTO feature_online AS o"
            + " (entity_id, event_timestamp, ingested_at, feature_version, hot, cold, ingest_seq)"
            + " SELECT DISTINCT ON (entity_id) entity_id, event_timestamp, now(), ?, hot, cold, seq FROM converge_stage"
            + " WHERE pg_column_size(hot) <= " + StoreLimits.HOT_MAX_BYTES
            + " ORDER BY entity_id, event_timestamp DESC, seq DESC"
            + " ON CONFLICT (entity_id) DO UPDATE SET event_timestamp = EXCLUDED.event_timestamp,"
            + " ingested_at = EXCLUDED.ingested_at, feature_version = EXCLUDED.feature_version,"
            + " hot = EXCLUDED.hot, cold = EXCLUDED.cold, ingest_seq = EXCLUDED.ingest_seq"
            // The same tie-break as point-in-time extraction: the later event, then the later ingested row.
            + " WHERE (o.event_timestamp, coalesce(o.ingest_seq, 0)) <= (EXCLUDED.event_timestamp, EXCLUDED.ingest_seq)";
    private static final int SAMPLE_REJECTS = 20;
    /** A stored vector's JSON array text as a real[] literal. */
    private static final String AS_REAL_ARRAY = "translate(e.value::text, '[]', '{}')::real[]";
    /** The vectors of the staged rows that became their entity's online row. */
    private static final String UPSERT_ONLINE_VECTORS = "INSERT INTO feature_vector_online AS o"
            + " (entity_id, feature, event_timestamp, ingest_seq, embedding)"
            + " SELECT s.entity_id, e.key, s.event_timestamp, s.seq, " + AS_REAL_ARRAY + " FROM converge_stage s"
            + " JOIN feature_online f ON f.entity_id = s.entity_id AND f.ingest_seq = s.seq"
            + " CROSS JOIN LATERAL jsonb_each(s.vectors) e WHERE s.vectors IS NOT NULL"
            + " ON CONFLICT (entity_id, feature) DO UPDATE SET event_timestamp = EXCLUDED.event_timestamp,"
            + " ingest_seq = EXCLUDED.ingest_seq, embedding = EXCLUDED.embedding";
    /** Vectors of an entity whose online row this batch replaced with one that lacks them (a schema without them). */
    private static final String DELETE_STALE_VECTORS = "DELETE FROM feature_vector_online o USING converge_stage s,"
            + " feature_online f WHERE f.entity_id = s.entity_id AND f.ingest_seq = s.seq AND o.entity_id = s.entity_id"
            + " AND o.ingest_seq <> s.seq";

    private final Connection c;
    private final UUID ingestId;
    private final String sourceName;
    private final int schemaVersion;
    private long read;
    private long accepted;
    private long rejected;
    private long duplicates;
    private final Map<String, Long> reasons = new TreeMap<>();
    private final List<IngestReport.Reject> samples = new ArrayList<>();

    private final boolean timeless;

    /**
     * @param timeless whether the rows' event time is the ingestion's own (a file with no timestamp column): a row is
     *                 then a duplicate when its entity's latest stored row has the same features, whatever its time,
     *                 so the same file ingested twice is recognised as it is with a timestamp column
     */
    public StageWriter(Connection c, UUID ingestId, String sourceName, int schemaVersion, boolean timeless) {
        this.c = c;
        this.ingestId = ingestId;
        this.sourceName = sourceName;
        this.schemaVersion = schemaVersion;
        this.timeless = timeless;
    }

    /** Rows read, accepted and rejected so far; rejects by reason; the first rejects. */
    public long read() {
        return read;
    }

    public long accepted() {
        return accepted;
    }

    public long rejected() {
        return rejected;
    }

    /** Rows identical to one already stored (entity, event time, features): counted, not stored again. */
    public long duplicates() {
        return duplicates;
    }

    public Map<String, Long> reasons() {
        return reasons;
    }

    public List<IngestReport.Reject> samples() {
        return samples;
    }

    public void flush(CopyBatch chunk) throws SQLException, IOException {
        if (chunk.read == 0) {
            return;
        }
        if (chunk.staged > 0) {
            try (PreparedStatement p = c.prepareStatement("SELECT converge_ensure_partitions(?, ?)")) {
                p.setTimestamp(1, Timestamp.from(chunk.minTime));
                p.setTimestamp(2, Timestamp.from(chunk.maxTime));
                p.execute();
            }
        }
        List<IngestReport.Reject> rejects = new ArrayList<>(chunk.rejects);
        long inserted = 0;
        long duplicates = chunk.duplicates;
        c.setAutoCommit(false);
        try {
            if (chunk.staged > 0) {
                CopyManager copier = c.unwrap(PGConnection.class).getCopyAPI();
                // Encoded here, whole: pgjdbc encodes a Reader in slices, and a surrogate pair split across two
                // slices became "??" (characters outside the BMP, emoji, rare CJK).
                copier.copyIn("COPY converge_stage (line, entity_id, event_timestamp, hot, cold, vectors, vector_digest)"
                        + " FROM STDIN"
                        + " (FORMAT csv, ENCODING 'UTF8')", new java.io.ByteArrayInputStream(
                        chunk.copy.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8)));
                List<IngestReport.Reject> oversized = oversizedHot(chunk);
                rejects.addAll(oversized);
                String history = historyInsert(chunk.withVectors > 0, timeless);
                try (PreparedStatement ins = c.prepareStatement(history)) {
                    ins.setInt(1, schemaVersion);
                    if (chunk.withVectors > 0) {
                        try (ResultSet rs = ins.executeQuery()) {
                            rs.next();
                            inserted = rs.getLong(1);
                        }
                    } else {
                        inserted = ins.executeUpdate();
                    }
                }
                duplicates += chunk.staged - oversized.size() - inserted;
                try (PreparedStatement up = c.prepareStatement(UPSERT_ONLINE)) {
                    up.setInt(1, schemaVersion);
                    up.executeUpdate();
                }
                try (Statement st = c.createStatement()) {
                    if (chunk.withVectors > 0) {
                        st.executeUpdate(UPSERT_ONLINE_VECTORS);
                    }
                    st.executeUpdate(DELETE_STALE_VECTORS);
                }
            }
            writeRejects(rejects);
            try (PreparedStatement counts = c.prepareStatement("UPDATE ingest_runs SET rows_read = rows_read + ?,"
                    + " rows_accepted = rows_accepted + ?, rows_rejected = rows_rejected + ?,"
                    + " rows_duplicate = rows_duplicate + ? WHERE id = ?")) {
                counts.setLong(1, chunk.read);
                counts.setLong(2, inserted);
                counts.setLong(3, rejects.size());
                counts.setLong(4, duplicates);
                counts.setObject(5, ingestId);
                counts.executeUpdate();
            }
            c.commit();
        } catch (SQLException | IOException | RuntimeException e) {
            c.rollback();
            throw e;
        } finally {
            c.setAutoCommit(true);
        }
        read += chunk.read;
        accepted += inserted;
        this.duplicates += duplicates;
        rejected += rejects.size();
        for (IngestReport.Reject r : rejects) {
            for (String code : r.reasons().stream().map(Violation::reason).distinct().toList()) {
                reasons.merge(code, 1L, Long::sum);
            }
            if (samples.size() < SAMPLE_REJECTS) {
                samples.add(r);
            }
        }
    }

    /** Creates the session's staging table when it has none (temporary, emptied at every commit). */
    public static void createStage(Connection c) throws SQLException {
        try (Statement st = c.createStatement()) {
            // seq: the row's place in the ingestion order, numbered as COPY reads the rows (in source order);
            // online and point-in-time both break ties of event time with it.
            st.execute("CREATE TEMP TABLE IF NOT EXISTS converge_stage (line bigint NOT NULL, entity_id text NOT NULL,"
                    + " event_timestamp timestamptz NOT NULL, hot jsonb NOT NULL, cold jsonb,"
                    + " seq bigint NOT NULL DEFAULT nextval('feature_ingest_seq'), vectors jsonb, vector_digest text)"
                    + " ON COMMIT DELETE ROWS");
            // EXTERNAL: never compressed, so pg_column_size(hot) is the size feature_history's CHECK will see.
            st.execute("ALTER TABLE converge_stage ALTER COLUMN hot SET STORAGE EXTERNAL");
        }
    }

    /**
     * Moves the staged rows that fit into feature_history, except those already stored (same entity, event time and
     * features: a file ingested again; for time-less rows, same features as the entity's latest stored row), which
     * are counted as duplicates. The parameter is the schema version.
     * <p>The check is a LATERAL probe with LIMIT 1, which PostgreSQL cannot flatten into a join: one (entity, time)
     * index lookup per staged row, in the one partition of its event time, whatever the statistics say. Written as
     * NOT EXISTS, it became a hash anti-join over a sequential scan of the whole history once the store held a few
     * hundred thousand rows: 133 s of a 160 s million-row ingestion, and slower the larger the store (issue 37;
     * {@code StageWriterPlanTest}). With vectors, the rows inserted take theirs into feature_vector_history in the
     * same statement, which then answers the count of rows inserted.
     */
    static String historyInsert(boolean withVectors, boolean timeless) {
        String sameFeatures = "h.hot = s.hot AND h.cold IS NOT DISTINCT FROM s.cold"
                + " AND h.vector_digest IS NOT DISTINCT FROM s.vector_digest";
        // Time-less rows all carry the ingestion's time, so a file ingested again would never match on time: its row
        // is a duplicate when the entity's latest stored row (the index's order) holds the same features.
        String probe = timeless
                ? "(SELECT " + sameFeatures + " AS stored FROM feature_history h WHERE h.entity_id = s.entity_id"
                + " ORDER BY h.event_timestamp DESC, h.ingest_seq DESC NULLS LAST LIMIT 1)"
                : "(SELECT true AS stored FROM feature_history h WHERE h.entity_id = s.entity_id"
                + " AND h.event_timestamp = s.event_timestamp AND " + sameFeatures + " LIMIT 1)";
        String history = "INSERT INTO feature_history"
                + " (entity_id, event_timestamp, ingested_at, feature_version, hot, cold, ingest_seq, vector_digest)"
                + " SELECT s.entity_id, s.event_timestamp, now(), ?, s.hot, s.cold, s.seq, s.vector_digest"
                + " FROM converge_stage s LEFT JOIN LATERAL " + probe + " d ON true"
                + " WHERE pg_column_size(s.hot) <= " + StoreLimits.HOT_MAX_BYTES + " AND d.stored IS NOT TRUE";
        if (!withVectors) {
            return history;
        }
        return "WITH ins AS (" + history + " RETURNING ingest_seq), vec AS (INSERT INTO"
                + " feature_vector_history (entity_id, event_timestamp, ingest_seq, feature, embedding)"
                + " SELECT s.entity_id, s.event_timestamp, s.seq, e.key, " + AS_REAL_ARRAY
                + " FROM ins JOIN converge_stage s ON s.seq = ins.ingest_seq"
                + " CROSS JOIN LATERAL jsonb_each(s.vectors) e WHERE s.vectors IS NOT NULL)"
                + " SELECT count(*) FROM ins";
    }

    private List<IngestReport.Reject> oversizedHot(CopyBatch chunk) throws SQLException {
        List<IngestReport.Reject> out = new ArrayList<>();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(
                "SELECT line, pg_column_size(hot) FROM converge_stage WHERE pg_column_size(hot) > "
                        + StoreLimits.HOT_MAX_BYTES + " ORDER BY line")) {
            while (rs.next()) {
                long line = rs.getLong(1);
                int size = rs.getInt(2);
                out.add(new IngestReport.Reject(line, chunk.rawByLine.get(line), List.of(new Violation("(hot)",
                        null, "hot_too_large", "the hot features of this row take " + size
                        + " bytes as jsonb; the limit is " + StoreLimits.HOT_MAX_BYTES
                        + " so that hot documents are never TOASTed. Mark wide features cold."))));
            }
        }
        return out;
    }

    /**
     * PostgreSQL's text and jsonb cannot hold U+0000: a quarantined row shows it as the six characters {@code \u0000}.
     * Done on the text, before it is serialised (rewriting the serialised JSON turned a cell that held those six
     * characters into a real NUL, which jsonb refused, and the whole ingestion failed).
     */
    public static String visibleNul(String s) {
        return s == null || s.indexOf('\0') < 0 ? s : s.replace("\0", "\\u0000");
    }

    private void writeRejects(List<IngestReport.Reject> rejects) throws SQLException {
        if (rejects.isEmpty()) {
            return;
        }
        try (PreparedStatement ins = c.prepareStatement("INSERT INTO ingest_rejects"
                + " (ingest_id, source, line_number, raw, reasons) VALUES (?, ?, ?, ?, ?::jsonb)")) {
            for (IngestReport.Reject r : rejects) {
                ins.setObject(1, ingestId);
                ins.setString(2, sourceName);
                ins.setLong(3, r.lineNumber());
                ins.setString(4, visibleNul(r.raw()));
                ins.setString(5, Json.write(r.reasons().stream().map(v -> {
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put("feature", v.feature());
                    m.put("value", visibleNul(v.value()));
                    m.put("reason", v.reason());
                    m.put("message", visibleNul(v.message()));
                    return m;
                }).toList()));
                ins.addBatch();
            }
            ins.executeBatch();
        }
    }
}
