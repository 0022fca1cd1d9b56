package dev.converge.bench;

import dev.converge.contracts.FeatureSchema;
import dev.converge.store.Database;
import dev.converge.store.IngestOptions;
import dev.converge.store.IngestReport;
import dev.converge.store.IngestSource;
import dev.converge.store.Ingestor;
import dev.converge.store.SchemaProposal;
import dev.converge.store.OnlineStore;
import java.io.BufferedWriter;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Feature-store throughput and latency, in a schema of its own (dropped after): ingestion rows/s with the GIN
 * indexes present, on a real data set and on a generated one; then single-entity and 100-entity online reads over
 * all generated entities. The upper bound measured in the same run is a {@code SELECT 1} round trip on the same
 * connection: no lookup can be faster, so reads are reported as a ratio to it.
 */
public final class StoreBenchmark {
    private static final String SCHEMA = "converge_bench_store";

    private final Database server;
    private final PrintStream out;
    private final long seed;

    public StoreBenchmark(Database server, PrintStream out, long seed) {
        this.server = server;
        this.out = out;
        this.seed = seed;
    }

    public void run(int rows, Path realDataSet, int reads) throws Exception {
        try (Connection c = server.connection(); Statement st = c.createStatement()) {
            st.execute("DROP SCHEMA IF EXISTS " + SCHEMA + " CASCADE");
            out.println("## Feature store: ingestion and online reads");
            out.println();
            out.println("Machine: " + Machine.describe(c));
            out.println();
        }
        Database db = server.withSchema(SCHEMA);
        db.migrate();
        try {
            out.println("| data set | rows | accepted | rejected | seconds | rows/s |");
            out.println("|---|---:|---:|---:|---:|---:|");
            if (realDataSet != null) {
                ingest(db, realDataSet, null, null);
            }
            Path generated = Files.createTempFile("converge-bench-", ".csv");
            try {
                writeGenerated(generated, rows);
                ingest(db, generated, "entity_id", "event_time");
            } finally {
                Files.deleteIfExists(generated);
            }
            out.println();
            reads(db, rows, reads);
        } finally {
            try (Connection c = server.connection(); Statement st = c.createStatement()) {
                st.execute("DROP SCHEMA " + SCHEMA + " CASCADE");
            }
        }
    }

    private void ingest(Database db, Path file, String entity, String time) throws Exception {
        FeatureSchema schema = SchemaProposal.propose(file, IngestOptions.of(entity, time), 10_000);
        IngestReport rep;
        try (IngestSource s = IngestSource.open(file)) {
            rep = new Ingestor(db).ingest(s, schema, IngestOptions.of(entity, time), null);
        }
        out.printf("| %s | %d | %d | %d | %.1f | %.0f |%n", entity == null ? file.getFileName() : "generated",
                rep.rowsRead(), rep.rowsAccepted(), rep.rowsRejected(), rep.elapsed().toMillis() / 1000.0,
                rep.rowsPerSecond());
    }

    private void writeGenerated(Path file, int rows) throws Exception {
        SplittableRandom rnd = new SplittableRandom(seed);
        String[] grades = {"A", "B", "C", "D", "E", "F", "G"};
        LocalDate start = LocalDate.of(2024, 1, 1);
        try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            w.write("entity_id,event_time,amount,rate,grade,state,verified,income,delinq,inq,util,open_acc,"
                    + "balance,limit,tenure,score,channel,notes\n");
            for (int i = 0; i < rows; i++) {
                w.write("e-" + i + "," + start.plusDays(rnd.nextInt(366)) + "," + rnd.nextInt(1000, 40_000) + ","
                        + rnd.nextInt(500, 3000) / 100.0 + "," + grades[rnd.nextInt(7)] + ",s" + rnd.nextInt(50)
                        + "," + rnd.nextBoolean() + "," + rnd.nextInt(20_000, 300_000) + "," + rnd.nextInt(5) + ","
                        + rnd.nextInt(8) + "," + rnd.nextInt(1000) / 10.0 + "," + rnd.nextInt(40) + ","
                        + rnd.nextInt(100_000) + "," + rnd.nextInt(1000, 100_000) + "," + rnd.nextInt(600) + ","
                        + Math.round(rnd.nextDouble() * 1e4) / 1e4 + ",c" + rnd.nextInt(4)
                        + ",\"free text note number " + rnd.nextInt(1_000_000) + " about this account\"\n");
            }
        }
    }

    private void reads(Database db, int entities, int reads) throws Exception {
        SplittableRandom rnd = new SplittableRandom(seed + 7);
        Percentiles floor = new Percentiles();
        Percentiles single = new Percentiles();
        Percentiles batch = new Percentiles();
        try (Connection c = db.connection()) {
            try (Statement st = c.createStatement()) {
                st.execute("VACUUM ANALYZE feature_online");
            }
            int warmup = Math.max(1000, reads / 5);
            // Interleave the three so that machine noise lands on all of them alike.
            for (int i = 0; i < warmup + reads; i++) {
                boolean measure = i >= warmup;
                long t0 = System.nanoTime();
                try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT 1")) {
                    rs.next();
                }
                long t1 = System.nanoTime();
                if (OnlineStore.read(c, "e-" + rnd.nextInt(entities), false).isEmpty()) {
                    throw new IllegalStateException("a generated entity is missing from feature_online");
                }
                long t2 = System.nanoTime();
                if (measure) {
                    floor.recordNanos(t1 - t0);
                    single.recordNanos(t2 - t1);
                }
                if (i % 10 == 0) {
                    List<String> ids = new ArrayList<>(100);
                    for (int k = 0; k < 100; k++) {
                        ids.add("e-" + rnd.nextInt(entities));
                    }
                    long t3 = System.nanoTime();
                    OnlineStore.readMany(c, ids, false);
                    if (measure) {
                        batch.recordNanos(System.nanoTime() - t3);
                    }
                }
            }
        }
        out.println("Online reads over " + entities + " entities (hot features, one connection, loopback):");
        out.println();
        out.println(Percentiles.header());
        out.println(floor.row("upper bound: SELECT 1 round trip"));
        out.println(single.row("single entity, point lookup"));
        out.println(batch.row("100 entities, one = ANY($1) query"));
        out.println();
        out.printf("Ratios to the SELECT 1 bound: single p50 %.2fx, p99 %.2fx; 100-entity batch p50 %.2fx"
                        + " (%.1f µs per entity).%n", single.p50Micros() / floor.p50Micros(),
                single.p99Micros() / floor.p99Micros(), batch.p50Micros() / floor.p50Micros(),
                batch.p50Micros() / 100);
    }
}
