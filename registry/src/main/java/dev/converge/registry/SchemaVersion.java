package dev.converge.registry;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * The store's schema version: the newest migration this build carries, and the one a database has applied, read from
 * Flyway's history table in one query. Here rather than beside the migrations so that a process without Flyway (the
 * serving image) can refuse a database its queries do not fit, and say which command brings it up to date.
 */
public final class SchemaVersion {
    /** The newest migration ({@code V<n>__*.sql} in the store); a test in the store keeps it equal to the files. */
    public static final int LATEST = 11;

    private SchemaVersion() {
    }

    /**
     * The highest numbered migration applied successfully; 0 when there is no history table yet (a database never
     * migrated). A database ahead of this build (a newer converge migrated it) reports its own, higher number.
     */
    public static int applied(Connection c) throws SQLException {
        try (var st = c.createStatement();
             var rs = st.executeQuery("SELECT to_regclass('flyway_schema_history') IS NOT NULL")) {
            if (!rs.next() || !rs.getBoolean(1)) {
                return 0;
            }
        }
        try (var st = c.createStatement();
             var rs = st.executeQuery("SELECT coalesce(max(version::int), 0) FROM flyway_schema_history WHERE success"
                     + " AND version ~ '^[0-9]+$'")) {
            return rs.next() ? rs.getInt(1) : 0;
        }
    }
}
