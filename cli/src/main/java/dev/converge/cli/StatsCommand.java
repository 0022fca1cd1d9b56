package dev.converge.cli;

import dev.converge.store.Database;
import java.io.PrintStream;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(name = "stats", mixinStandardHelpOptions = true, description = "Feature-store statistics.")
final class StatsCommand implements Callable<Integer> {
    @Mixin
    DbOptions db;

    @Override
    public Integer call() throws Exception {
        try (Database d = db.open(System.err)) {
            print(d, System.out);
        }
        return 0;
    }

    static void print(Database d, PrintStream out) throws SQLException {
        try (Connection c = d.connection(); Statement st = c.createStatement()) {
            try (ResultSet rs = st.executeQuery("SELECT (SELECT count(*) FROM feature_history),"
                    + " (SELECT count(*) FROM feature_online), (SELECT count(*) FROM ingest_rejects),"
                    + " (SELECT count(*) FROM feature_schemas), (SELECT count(DISTINCT name) FROM feature_definitions),"
                    + " (SELECT count(*) FROM pg_inherits WHERE inhparent = 'feature_history'::regclass),"
                    + " pg_size_pretty(pg_total_relation_size('feature_online')),"
                    + " (SELECT min(event_timestamp) FROM feature_online), (SELECT max(event_timestamp) FROM feature_online)")) {
                rs.next();
                out.printf("Feature store (%s)%n", d.description());
                out.printf("  history rows       %,d in %d monthly partition(s)%n", rs.getLong(1), rs.getLong(6));
                out.printf("  online entities    %,d (%s), events %s .. %s%n", rs.getLong(2), rs.getString(7),
                        rs.getString(8), rs.getString(9));
                out.printf("  quarantined rows   %,d%n", rs.getLong(3));
                out.printf("  schema versions    %d, features defined %d%n", rs.getLong(4), rs.getLong(5));
            }
            try (ResultSet rs = st.executeQuery("SELECT source, rows_read, rows_accepted, rows_rejected, started_at"
                    + " FROM ingest_runs ORDER BY started_at DESC LIMIT 5")) {
                out.println("  recent ingestions:");
                while (rs.next()) {
                    out.printf("    %s  %-24s read %,d  accepted %,d  rejected %,d%n", rs.getTimestamp(5).toInstant(),
                            rs.getString(1), rs.getLong(2), rs.getLong(3), rs.getLong(4));
                }
            }
        }
    }
}
