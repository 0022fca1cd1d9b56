package dev.converge.bench;

import dev.converge.contracts.FeatureSchema;
import dev.converge.contracts.FeatureSpec;
import dev.converge.contracts.FeatureType;
import dev.converge.contracts.FeatureVector;
import dev.converge.contracts.Temperature;
import dev.converge.contracts.VectorMetric;
import dev.converge.registry.VectorIndex;
import dev.converge.store.Database;
import dev.converge.store.IngestOptions;
import dev.converge.store.IngestReport;
import dev.converge.store.Ingestor;
import dev.converge.store.VectorSearch;
import java.io.BufferedWriter;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * Vector search in the store (issue 15), in a schema of its own (dropped after): n generated vectors of d dimensions
 * ingested through the normal path with the HNSW index present (rows/s), the same without it (the bound: the index's
 * cost is the difference), the index built from scratch over them (seconds, size), then searches at several
 * {@code ef_search} values: p50/p99 of the SQL round trip and recall@10 against exact search computed here, in Java,
 * over every vector. The bound for latency is a {@code SELECT 1} round trip on the same connection.
 *
 * <p>The vectors are clustered (a mixture of 100 Gaussians), as embeddings are; uniform random vectors in 128
 * dimensions have no near neighbours to find and are reported too, on request.
 */
public final class VectorBenchmark {
    private static final String SCHEMA = "converge_bench_vectors";

    private final Database server;
    private final PrintStream out;
    private final long seed;

    public VectorBenchmark(Database server, PrintStream out, long seed) {
        this.server = server;
        this.out = out;
        this.seed = seed;
    }

    public void run(int n, int dim, int queries, int[] efSearch, boolean clustered) throws Exception {
        try (Connection c = server.connection(); Statement st = c.createStatement()) {
            st.execute("DROP SCHEMA IF EXISTS " + SCHEMA + " CASCADE");
            out.println("## Vector search: " + String.format("%,d", n) + " vectors of " + dim + " dimensions ("
                    + (clustered ? "100 clusters" : "uniform") + "), cosine");
            out.println();
            out.println("Machine: " + Machine.describe(c));
            out.println();
        }
        Database db = server.withSchema(SCHEMA);
        db.migrate();
        try {
            VectorIndex.Support support;
            try (Connection c = db.connection()) {
                support = VectorIndex.detect(c);
            }
            out.println("Search: " + support.describe());
            out.println();
            float[][] vectors = generate(n, dim, clustered, new Random(seed));
            FeatureSpec emb = FeatureSpec.vector("emb", dim, VectorMetric.COSINE, false);
            FeatureSchema schema = new FeatureSchema(List.of(FeatureSpec.of("tag", FeatureType.NUMERIC,
                    Temperature.HOT, false), emb));
            Path file = Files.createTempFile("converge-bench-vectors-", ".jsonl");
            try {
                write(file, vectors, 0);
                out.println("| ingestion | rows | seconds | rows/s |");
                out.println("|---|---:|---:|---:|");
                IngestReport withIndex = ingest(db, schema, file, "", true);
                out.printf("| %s | %,d | %.1f | %,.0f |%n", support.indexed()
                                ? "with the HNSW index present (m 16, ef_construction 64)" : "no index (no pgvector)",
                        withIndex.rowsAccepted(), withIndex.elapsed().toMillis() / 1000.0, withIndex.rowsPerSecond());
                if (support.indexed()) {
                    try (Connection c = db.connection(); Statement st = c.createStatement()) {
                        st.execute("DROP INDEX " + VectorIndex.indexName(emb));
                    }
                    IngestReport without = ingest(db, schema, file, "x", false); // the same rows, new entities
                    out.printf("| without it (the bound) | %,d | %.1f | %,.0f |%n", without.rowsAccepted(),
                            without.elapsed().toMillis() / 1000.0, without.rowsPerSecond());
                    try (Connection c = db.connection(); Statement st = c.createStatement()) {
                        st.execute("DELETE FROM feature_vector_online WHERE starts_with(entity_id, 'x')");
                        st.execute("VACUUM ANALYZE feature_vector_online");
                    }
                    out.println();
                    long t0 = System.nanoTime();
                    try (Connection c = db.connection()) {
                        VectorIndex.ensure(c, support, schema, VectorIndex.Hnsw.DEFAULTS);
                    }
                    double build = (System.nanoTime() - t0) / 1e9;
                    long size;
                    long table;
                    try (Connection c = db.connection(); Statement st = c.createStatement(); ResultSet rs =
                            st.executeQuery("SELECT pg_relation_size('" + VectorIndex.indexName(emb) + "'),"
                                    + " pg_table_size('feature_vector_online')")) {
                        rs.next();
                        size = rs.getLong(1);
                        table = rs.getLong(2);
                    }
                    out.printf("Index built over the %,d vectors in %.1f s: %,.1f MB (the vectors' table: %,.1f MB)%n%n",
                            n, build, size / 1e6, table / 1e6);
                } else {
                    out.println();
                }
            } finally {
                Files.deleteIfExists(file);
            }
            search(db, support, emb, vectors, queries, efSearch, new Random(seed + 1));
        } finally {
            try (Connection c = server.connection(); Statement st = c.createStatement()) {
                st.execute("DROP SCHEMA " + SCHEMA + " CASCADE");
            }
        }
    }

    private static IngestReport ingest(Database db, FeatureSchema schema, Path file, String prefix, boolean index)
            throws Exception {
        try (dev.converge.store.IngestSource s = dev.converge.store.IngestSource.open(file)) {
            return new Ingestor(db).withHnsw(index ? VectorIndex.Hnsw.DEFAULTS : null).ingest(s, schema,
                    IngestOptions.of("id", null).withEntityPrefix(prefix), null);
        }
    }

    private void search(Database db, VectorIndex.Support support, FeatureSpec emb, float[][] vectors, int queries,
                        int[] efSearch, Random r) throws Exception {
        // Queries near the data: a stored vector with noise, as "more like this" asks.
        float[][] qs = new float[queries][];
        List<Set<String>> truth = new ArrayList<>();
        for (int q = 0; q < queries; q++) {
            float[] base = vectors[r.nextInt(vectors.length)];
            float[] v = new float[base.length];
            for (int i = 0; i < v.length; i++) {
                v[i] = base[i] + (float) (r.nextGaussian() * 0.05);
            }
            qs[q] = v;
            truth.add(exactTop(vectors, v, 10));
        }
        out.println("| search | ef_search | p50 ms | p99 ms | recall@10 | p50 / SELECT 1 |");
        out.println("|---|---:|---:|---:|---:|---:|");
        double bound = selectOne(db);
        int[] efs = support.indexed() ? efSearch : new int[] {0};
        for (int ef : efs) {
            VectorSearch search = new VectorSearch(db, new VectorIndex.Hnsw(16, 64, Math.max(1, ef)));
            double[] ms = new double[queries];
            int found = 0;
            try (Connection c = db.connection()) {
                for (int q = 0; q < Math.min(20, queries); q++) { // warm the connection, plans and pages
                    search.search(c, support, emb, FeatureVector.of(qs[q]), 10, null, "", null);
                }
                for (int q = 0; q < queries; q++) {
                    long t0 = System.nanoTime();
                    VectorSearch.Result res = search.search(c, support, emb, FeatureVector.of(qs[q]), 10, null, "", null);
                    ms[q] = (System.nanoTime() - t0) / 1e6;
                    for (VectorSearch.Neighbour nb : res.neighbours()) {
                        found += truth.get(q).contains(nb.entityId()) ? 1 : 0;
                    }
                }
            }
            Arrays.sort(ms);
            double p50 = ms[queries / 2];
            out.printf("| %s | %s | %.2f | %.2f | %.3f | %.1fx |%n", support.indexed() ? "hnsw" : "exact (no pgvector)",
                    support.indexed() ? Integer.toString(ef) : "-", p50, ms[(int) Math.min(queries - 1,
                            Math.ceil(queries * 0.99) - 1)], found / (queries * 10.0), p50 / bound);
        }
        out.printf("%nSELECT 1 on the same connection: p50 %.3f ms%n", bound);
    }

    private static double selectOne(Database db) throws Exception {
        double[] ms = new double[2000];
        try (Connection c = db.connection(); Statement st = c.createStatement()) {
            for (int i = 0; i < 500; i++) {
                st.executeQuery("SELECT 1").close();
            }
            for (int i = 0; i < ms.length; i++) {
                long t0 = System.nanoTime();
                st.executeQuery("SELECT 1").close();
                ms[i] = (System.nanoTime() - t0) / 1e6;
            }
        }
        Arrays.sort(ms);
        return ms[ms.length / 2];
    }

    static Set<String> exactTop(float[][] vectors, float[] q, int k) {
        int[] best = new int[k];
        double[] bestD = new double[k];
        Arrays.fill(bestD, Double.POSITIVE_INFINITY);
        for (int i = 0; i < vectors.length; i++) {
            double d = VectorMetric.COSINE.distance(vectors[i], q);
            if (d < bestD[k - 1]) {
                int j = k - 1;
                while (j > 0 && bestD[j - 1] > d) {
                    bestD[j] = bestD[j - 1];
                    best[j] = best[j - 1];
                    j--;
                }
                bestD[j] = d;
                best[j] = i;
            }
        }
        Set<String> out = new HashSet<>();
        for (int i : best) {
            out.add("v" + i);
        }
        return out;
    }

    static float[][] generate(int n, int dim, boolean clustered, Random r) {
        float[][] centres = new float[100][dim];
        for (float[] c : centres) {
            for (int i = 0; i < dim; i++) {
                c[i] = (float) r.nextGaussian();
            }
        }
        float[][] out = new float[n][dim];
        for (int k = 0; k < n; k++) {
            float[] c = centres[r.nextInt(centres.length)];
            for (int i = 0; i < dim; i++) {
                out[k][i] = clustered ? c[i] + (float) (r.nextGaussian() * 0.3) : (float) r.nextGaussian();
            }
        }
        return out;
    }

    private static void write(Path file, float[][] vectors, int from) throws Exception {
        try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            for (int i = 0; i < vectors.length; i++) {
                w.write("{\"id\":\"v" + (from + i) + "\",\"tag\":" + (i % 10) + ",\"emb\":" + FeatureVector.of(vectors[i])
                        + "}\n");
            }
        }
    }
}
