package dev.converge.bench;

import dev.converge.store.Database;
import java.io.PrintStream;
import java.io.StringReader;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyManager;

/**
 * Builds the same JSONB documents under a {@code jsonb_ops} and a {@code jsonb_path_ops} GIN index and compares
 * them: index size as a share of the table, build time, insert throughput with the index present, and p50/p99 of
 * {@code @>} containment queries, each plan confirmed with EXPLAIN. Runs in its own schema and drops it after.
 *
 * <p>The documents imitate cold features: a dozen keys of categorical, numeric and boolean values with realistic
 * skew, so that containment selectivity ranges from one row to a few percent.
 */
public final class GinBenchmark {
    private static final String SCHEMA = "converge_bench_gin";
    private static final String[] OPS = {"jsonb_ops", "jsonb_path_ops"};

    private final Database db;
    private final PrintStream out;
    private final long seed;

    public GinBenchmark(Database db, PrintStream out, long seed) {
        this.db = db;
        this.out = out;
        this.seed = seed;
    }

    public void run(int rows, int queries) throws Exception {
        try (Connection c = db.connection(); Statement st = c.createStatement()) {
            st.execute("DROP SCHEMA IF EXISTS " + SCHEMA + " CASCADE");
            st.execute("CREATE SCHEMA " + SCHEMA);
            out.println("## GIN operator classes, " + rows + " rows");
            out.println();
            out.println("Machine: " + Machine.describe(c));
            out.println();
            out.println("| opclass | table MB | index MB | index / table | build s | insert rows/s (index present) |"
                    + " @> p50 µs | @> p99 µs | plan |");
            out.println("|---|---:|---:|---:|---:|---:|---:|---:|---|");
            long[] indexBytes = new long[OPS.length];
            for (int i = 0; i < OPS.length; i++) {
                indexBytes[i] = runOne(c, OPS[i], rows, queries);
            }
            out.println();
            out.printf("jsonb_path_ops index is %.1f%% smaller than jsonb_ops.%n",
                    100.0 * (indexBytes[0] - indexBytes[1]) / indexBytes[0]);
            st.execute("DROP SCHEMA " + SCHEMA + " CASCADE");
        }
    }

    private long runOne(Connection c, String ops, int rows, int queries) throws Exception {
        String table = SCHEMA + ".docs_" + ops;
        try (Statement st = c.createStatement()) {
            st.execute("CREATE TABLE " + table + " (id bigint PRIMARY KEY, doc jsonb NOT NULL)");
        }
        copy(c, table, 0, rows);
        try (Statement st = c.createStatement()) {
            st.execute("VACUUM ANALYZE " + table);
        }
        long t0 = System.nanoTime();
        try (Statement st = c.createStatement()) {
            st.execute("CREATE INDEX docs_" + ops + "_gin ON " + table + " USING gin (doc " + ops + ")");
        }
        double buildSeconds = (System.nanoTime() - t0) / 1e9;
        long tableBytes = scalar(c, "SELECT pg_table_size('" + table + "')");
        long indexBytes = scalar(c, "SELECT pg_relation_size('" + SCHEMA + ".docs_" + ops + "_gin')");

        int extra = Math.max(10_000, rows / 10);
        long t1 = System.nanoTime();
        copy(c, table, rows, extra);
        double insertRate = extra / ((System.nanoTime() - t1) / 1e9);
        try (Statement st = c.createStatement()) {
            st.execute("VACUUM ANALYZE " + table);
        }

        SplittableRandom rnd = new SplittableRandom(seed + 1);
        Percentiles lat = new Percentiles();
        String plan = null;
        try (PreparedStatement q = c.prepareStatement("SELECT count(*) FROM " + table + " WHERE doc @> ?::jsonb")) {
            for (int i = 0; i < queries + 50; i++) {
                String probe = probe(rnd);
                long s = System.nanoTime();
                q.setString(1, probe);
                try (ResultSet rs = q.executeQuery()) {
                    rs.next();
                }
                if (i >= 50) {
                    lat.recordNanos(System.nanoTime() - s);
                }
            }
        }
        try (PreparedStatement ex = c.prepareStatement("EXPLAIN SELECT count(*) FROM " + table
                + " WHERE doc @> ?::jsonb")) {
            ex.setString(1, "{\"merchant\":\"m-42\"}");
            StringBuilder p = new StringBuilder();
            try (ResultSet rs = ex.executeQuery()) {
                while (rs.next()) {
                    p.append(rs.getString(1)).append('\n');
                }
            }
            plan = p.toString().contains("Bitmap Index Scan on docs_" + ops + "_gin") ? "Bitmap Index Scan on GIN"
                    : "NOT USING THE INDEX: " + p.toString().replace('\n', ' ');
        }
        out.printf("| %s | %.1f | %.1f | %.1f%% | %.2f | %.0f | %.0f | %.0f | %s |%n", ops, tableBytes / 1e6,
                indexBytes / 1e6, 100.0 * indexBytes / tableBytes, buildSeconds, insertRate, lat.p50Micros(),
                lat.p99Micros(), plan);
        return indexBytes;
    }

    /** A containment probe: one or two keys, from a rare merchant to a common country. */
    private static String probe(SplittableRandom rnd) {
        return switch (rnd.nextInt(4)) {
            case 0 -> "{\"merchant\":\"m-" + rnd.nextInt(20_000) + "\"}";
            case 1 -> "{\"country\":\"c" + rnd.nextInt(60) + "\",\"channel\":\"web\"}";
            case 2 -> "{\"segment\":\"s" + rnd.nextInt(500) + "\"}";
            default -> "{\"device\":\"d" + rnd.nextInt(2000) + "\",\"flagged\":true}";
        };
    }

    private void copy(Connection c, String table, int from, int count) throws Exception {
        CopyManager copier = c.unwrap(PGConnection.class).getCopyAPI();
        SplittableRandom rnd = new SplittableRandom(seed + from);
        int chunk = 50_000;
        for (int start = from; start < from + count; start += chunk) {
            StringBuilder sb = new StringBuilder(chunk * 260);
            for (int id = start; id < Math.min(from + count, start + chunk); id++) {
                sb.append(id).append('\t').append(document(rnd)).append('\n');
            }
            copier.copyIn("COPY " + table + " (id, doc) FROM STDIN", new StringReader(sb.toString()));
        }
    }

    static String document(SplittableRandom rnd) {
        List<String> kv = new ArrayList<>();
        kv.add("\"merchant\":\"m-" + skewed(rnd, 20_000) + "\"");
        kv.add("\"country\":\"c" + skewed(rnd, 60) + "\"");
        kv.add("\"channel\":\"" + (rnd.nextInt(3) == 0 ? "web" : rnd.nextBoolean() ? "pos" : "app") + "\"");
        kv.add("\"segment\":\"s" + rnd.nextInt(500) + "\"");
        kv.add("\"device\":\"d" + skewed(rnd, 2000) + "\"");
        kv.add("\"flagged\":" + (rnd.nextInt(50) == 0));
        kv.add("\"amount\":" + rnd.nextInt(100_000) / 100.0);
        kv.add("\"items\":" + (1 + rnd.nextInt(12)));
        kv.add("\"age_days\":" + rnd.nextInt(4000));
        kv.add("\"score\":" + Math.round(rnd.nextDouble() * 1000) / 1000.0);
        kv.add("\"tier\":\"t" + rnd.nextInt(5) + "\"");
        kv.add("\"promo\":" + (rnd.nextInt(10) == 0 ? "\"spring\"" : "null"));
        return "{" + String.join(",", kv) + "}";
    }

    /** Zipf-like skew: low ids are common. */
    private static int skewed(SplittableRandom rnd, int n) {
        return (int) Math.min(n - 1, Math.floor(Math.pow(rnd.nextDouble(), 3) * n));
    }

    private static long scalar(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
