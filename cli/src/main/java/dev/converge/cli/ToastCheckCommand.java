package dev.converge.cli;

import dev.converge.store.Database;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(name = "toast-check", mixinStandardHelpOptions = true,
        description = {"Report, per table, whether any hot document is TOASTed.",
                "A hot document is TOASTed when it is compressed (pg_column_compression) or stored out of line;",
                "the TOAST relation's size and pg_stat live tuples show what cold documents put there."})
final class ToastCheckCommand implements Callable<Integer> {
    @Mixin
    DbOptions db;

    private static final String SQL = """
            WITH t AS (
              SELECT c.oid, c.relname, c.reltoastrelid FROM pg_class c
              WHERE c.relkind = 'r' AND c.relnamespace = current_schema()::regnamespace
                AND (c.relname = 'feature_online' OR c.relname LIKE 'feature_history\\_p%')
            )
            SELECT t.relname, coalesce(s.n_live_tup, 0), coalesce(pg_relation_size(NULLIF(t.reltoastrelid, 0)), 0),
                   coalesce(ts.n_live_tup, 0)
            FROM t LEFT JOIN pg_stat_all_tables s ON s.relid = t.oid
                   LEFT JOIN pg_stat_all_tables ts ON ts.relid = t.reltoastrelid
            ORDER BY t.relname""";

    @Override
    public Integer call() throws Exception {
        boolean anyToasted = false;
        try (Database d = db.open(System.err); Connection c = d.connection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery(SQL)) {
            System.out.printf("%-28s %12s %10s %10s %12s %14s %16s%n", "table", "rows", "hot max B", "hot avg B",
                    "hot toasted", "toast bytes", "toast live tups");
            while (rs.next()) {
                String table = rs.getString(1);
                try (Statement s2 = c.createStatement(); ResultSet hot = s2.executeQuery("SELECT count(*),"
                        + " coalesce(max(pg_column_size(hot)), 0), coalesce(avg(pg_column_size(hot)), 0),"
                        + " count(*) FILTER (WHERE pg_column_compression(hot) IS NOT NULL"
                        + "   OR pg_column_size(hot) < pg_column_size(hot || '{}'::jsonb))"
                        + " FROM " + table)) {
                    hot.next();
                    long toasted = hot.getLong(4);
                    anyToasted |= toasted > 0;
                    System.out.printf("%-28s %,12d %10d %10.0f %12d %,14d %,16d%n", table, hot.getLong(1),
                            hot.getLong(2), hot.getDouble(3), toasted, rs.getLong(3), rs.getLong(4));
                }
            }
        }
        System.out.println(anyToasted ? "SOME HOT DOCUMENTS ARE TOASTED" : "No hot document is TOASTed.");
        return anyToasted ? 5 : 0;
    }
}
