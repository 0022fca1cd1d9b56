package dev.converge.store.impl;

import static org.assertj.core.api.Assertions.assertThat;

import dev.converge.store.TestDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The duplicate check of an ingestion batch stays one index probe per staged row however large the history grows
 * (issue 37: as NOT EXISTS it became a hash anti-join over a sequential scan of every history partition, and a
 * million-row ingestion ran 5.5 times slower than before the check existed). Checked on the plan PostgreSQL chooses
 * for a store of 13 monthly partitions and 150,000 analysed rows, with a batch of 10,000 staged rows, beside the
 * NOT EXISTS form on the same data as the negative control: it must still choose the scan here, or this store is not
 * one that shows the hazard.
 */
class StageWriterPlanTest {
    static TestDatabase t;

    /** The form that regressed, kept only to show that this store reproduces its plan. */
    static final String NOT_EXISTS_FORM = "INSERT INTO feature_history"
            + " (entity_id, event_timestamp, ingested_at, feature_version, hot, cold, ingest_seq, vector_digest)"
            + " SELECT s.entity_id, s.event_timestamp, now(), ?, s.hot, s.cold, s.seq, s.vector_digest"
            + " FROM converge_stage s WHERE pg_column_size(s.hot) <= 1800"
            + " AND NOT EXISTS (SELECT 1 FROM feature_history h WHERE h.entity_id = s.entity_id"
            + " AND h.event_timestamp = s.event_timestamp AND h.hot = s.hot"
            + " AND h.cold IS NOT DISTINCT FROM s.cold AND h.vector_digest IS NOT DISTINCT FROM s.vector_digest)";

    @BeforeAll
    static void store() throws Exception {
        t = new TestDatabase();
        t.execute("SELECT converge_ensure_partitions('2024-01-01', '2025-01-01')");
        t.execute("INSERT INTO feature_history (entity_id, event_timestamp, feature_version, hot, ingest_seq)"
                + " SELECT 'e-' || i, timestamptz '2024-01-01' + (i % 366) * interval '1 day', 1,"
                + " jsonb_build_object('amount', i, 'grade', 'A'), i FROM generate_series(1, 150000) i");
        t.execute("ANALYZE feature_history");
    }

    @AfterAll
    static void drop() throws Exception {
        t.close();
    }

    @Test
    void theDuplicateCheckProbesTheIndexPerStagedRowAndNeverScansTheHistory() throws Exception {
        String plan = plan(StageWriter.historyInsert(false, false));
        // (An empty partition, here 2025-01, may be "scanned": it has no rows to read.)
        assertThat(plan).as(plan).doesNotContain("Seq Scan on feature_history_p2024").contains("Nested Loop")
                .containsPattern("Index (Only )?Scan using feature_history_p2024\\d\\d_entity_id");
        String withVectors = plan(StageWriter.historyInsert(true, false));
        assertThat(withVectors).as(withVectors).doesNotContain("Seq Scan on feature_history_p2024");
        String timeless = plan(StageWriter.historyInsert(false, true));
        assertThat(timeless).as(timeless).doesNotContain("Seq Scan on feature_history_p2024")
                .containsPattern("Index (Only )?Scan using feature_history_p2024\\d\\d_entity_id");
    }

    @Test
    void negativeControlTheNotExistsFormScansEveryPartitionOfThisStore() throws Exception {
        String plan = plan(NOT_EXISTS_FORM);
        assertThat(plan).as(plan).contains("Seq Scan on feature_history_p202401")
                .contains("Seq Scan on feature_history_p202412");
    }

    /** The plan PostgreSQL chooses for {@code sql} over a batch of 10,000 staged rows, a third already stored. */
    private static String plan(String sql) throws Exception {
        try (Connection c = t.db.connection()) {
            StageWriter.createStage(c);
            c.setAutoCommit(false);
            try (Statement st = c.createStatement()) {
                st.execute("INSERT INTO converge_stage (line, entity_id, event_timestamp, hot)"
                        + " SELECT i, 'e-' || (i * 3), timestamptz '2024-01-01' + (i % 366) * interval '1 day',"
                        + " jsonb_build_object('amount', i, 'grade', 'B') FROM generate_series(1, 10000) i");
                StringBuilder out = new StringBuilder();
                try (PreparedStatement p = c.prepareStatement("EXPLAIN " + sql)) {
                    p.setInt(1, 1);
                    try (ResultSet rs = p.executeQuery()) {
                        while (rs.next()) {
                            out.append(rs.getString(1)).append('\n');
                        }
                    }
                }
                return out.toString();
            } finally {
                c.rollback();
                c.setAutoCommit(true);
            }
        }
    }
}
