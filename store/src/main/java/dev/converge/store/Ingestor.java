package dev.converge.store;

import dev.converge.contracts.FeatureSchema;
import dev.converge.contracts.FeatureSpec;
import dev.converge.contracts.FeatureValidator;
import dev.converge.contracts.RawText;
import dev.converge.contracts.Temperature;
import dev.converge.contracts.ValidationResult;
import dev.converge.contracts.Violation;
import dev.converge.registry.codec.Json;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.function.LongConsumer;
import dev.converge.registry.VectorIndex;
import dev.converge.store.impl.CopyBatch;
import dev.converge.store.impl.RowStager;
import dev.converge.store.impl.StageWriter;

/**
 * Loads a source into the feature store. Every row is validated with the shared contracts; good rows are COPYed
 * in batches into a staging table and from there into {@code feature_history} and {@code feature_online}; every
 * bad row goes to {@code ingest_rejects} with all its reasons. A bad row never costs a good one: rows the database
 * would refuse (a hot document over its size limit) are filtered out of the batch in SQL and rejected too.
 */
public final class Ingestor {
    private final Database db;
    private final Clock clock;
    private VectorIndex.Hnsw hnsw = VectorIndex.Hnsw.DEFAULTS;

    public Ingestor(Database db, Clock clock) {
        this.db = db;
        this.clock = clock;
    }

    /**
     * The build parameters of the HNSW indexes made for a schema's new vector features; null makes none (a bulk load
     * that builds them after, with {@code converge vectors --index}, or a benchmark's bound).
     */
    public Ingestor withHnsw(VectorIndex.Hnsw hnsw) {
        this.hnsw = hnsw;
        return this;
    }

    public Ingestor(Database db) {
        this(db, Clock.systemUTC());
    }

    /**
     * Ingests every row of the source. A reader thread parses, validates and encodes the next batch while this
     * thread writes the previous one, so the JVM and PostgreSQL work at the same time.
     *
     * @param progress called after each batch with the bytes read so far; may be null
     */
    public IngestReport ingest(IngestSource source, FeatureSchema schema, IngestOptions options,
                               LongConsumer progress) throws IOException, SQLException {
        checkLayout(source, schema, options);
        long started = System.nanoTime();
        Instant ingestTime = clock.instant().truncatedTo(ChronoUnit.MICROS);
        FeatureValidator validator = new FeatureValidator(schema, options.unknownPolicy());
        UUID ingestId = UUID.randomUUID();
        try (Connection c = db.connection()) {
            int schemaVersion = SchemaRegistry.registerAtomically(c, schema, options.featureSet()).version();
            String vectorSearch = null;
            if (!VectorIndex.vectors(schema).isEmpty()) {
                VectorIndex.Support support = VectorIndex.detect(c);
                List<String> made = hnsw == null ? List.of() : VectorIndex.ensure(c, support, schema, hnsw);
                vectorSearch = support.describe() + (made.isEmpty() ? "" : "; created " + String.join(", ", made))
                        + (hnsw == null && support.indexed() ? "; indexes not made here (converge vectors --index)" : "");
            }
            c.setAutoCommit(true);
            StageWriter.createStage(c);
            try (PreparedStatement run = c.prepareStatement(
                    "INSERT INTO ingest_runs (id, source, schema_version, feature_set) VALUES (?, ?, ?, ?)")) {
                run.setObject(1, ingestId);
                run.setString(2, source.name());
                run.setInt(3, schemaVersion);
                run.setString(4, options.featureSet().isEmpty() ? null : options.featureSet());
                run.executeUpdate();
            }
            StageWriter writer = new StageWriter(c, ingestId, source.name(), schemaVersion, options.timestampColumn() == null);
            Set<String> unknown = java.util.concurrent.ConcurrentHashMap.newKeySet();
            Map<String, java.util.concurrent.atomic.LongAdder> missing = new java.util.concurrent.ConcurrentHashMap<>();
            RowStager stager = new RowStager(validator, options, ingestTime, clock, unknown, missing);
            try {
                writeAll(source, options, stager, writer, progress);
            } catch (IOException | SQLException | RuntimeException | Error e) {
                recordFailure(ingestId, writer, e);
                throw e;
            }
            try (PreparedStatement done = c.prepareStatement("UPDATE ingest_runs SET finished_at = now() WHERE id = ?")) {
                done.setObject(1, ingestId);
                done.executeUpdate();
            }
            return new IngestReport(ingestId, source.name(), schemaVersion, writer.read(), writer.accepted(),
                    writer.rejected(), writer.reasons(), writer.samples(), List.copyOf(new java.util.TreeSet<>(unknown)),
                    Duration.ofNanos(System.nanoTime() - started), missingCounts(missing), writer.duplicates(),
                    stager.distinctEntities(), options.entityColumn(), vectorSearch);
        }
    }

    private static final Object END = new Object();

    private static Map<String, Long> missingCounts(Map<String, java.util.concurrent.atomic.LongAdder> missing) {
        Map<String, Long> out = new TreeMap<>();
        missing.forEach((k, v) -> out.put(k, v.sum()));
        return out;
    }

    /** Reads on a second thread and writes here, batch by batch; each batch commits with its run counts. */
    private static void writeAll(IngestSource source, IngestOptions options, RowStager stager, StageWriter writer,
                                 LongConsumer progress) throws IOException, SQLException {
        BlockingQueue<Object> queue = new ArrayBlockingQueue<>(2);
        Thread reader = new Thread(() -> read(source, stager, options, queue), "converge-ingest-reader");
        reader.setDaemon(true);
        reader.start();
        try {
            while (true) {
                Object next = queue.take();
                if (next == END) {
                    break;
                }
                if (next instanceof Throwable t) {
                    throwAs(t);
                }
                CopyBatch chunk = (CopyBatch) next;
                writer.flush(chunk);
                if (progress != null) {
                    progress.accept(chunk.bytesRead);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("ingestion of " + source.name() + " was interrupted", e);
        } finally {
            reader.interrupt();
        }
    }

    /**
     * A run that fails says so and how far it got: its committed batches' counts are already in the row; this adds
     * when and why it stopped. On a connection of its own, since the run's may be what failed.
     */
    private void recordFailure(UUID ingestId, StageWriter writer, Throwable e) {
        try (Connection c = db.connection(); PreparedStatement failed = c.prepareStatement("UPDATE ingest_runs"
                + " SET failed_at = now(), failure = ? WHERE id = ?")) {
            failed.setString(1, StageWriter.visibleNul(String.valueOf(e.getMessage())) + " (after " + writer.read()
                    + " rows committed: " + writer.accepted() + " accepted, " + writer.rejected() + " rejected)");
            failed.setObject(2, ingestId);
            failed.executeUpdate();
        } catch (SQLException | RuntimeException again) {
            e.addSuppressed(again);
        }
    }

    /**
     * Fails fast, before any row is read, on a layout that would reject every row: an identity column that is
     * also a feature, or a header that lacks the identity columns or a required feature.
     */
    static void checkLayout(IngestSource source, FeatureSchema schema, IngestOptions options) {
        for (String identity : java.util.Arrays.asList(options.entityColumn(), options.timestampColumn())) {
            if (identity != null && schema.feature(identity).isPresent()) {
                throw new IllegalArgumentException("column '" + identity + "' is an identity column and also a"
                        + " feature of the schema; remove it from the schema or pick another column");
            }
        }
        List<String> columns = source.columns().orElse(null);
        if (columns == null) {
            return;
        }
        List<String> missing = new ArrayList<>();
        for (String identity : java.util.Arrays.asList(options.entityColumn(), options.timestampColumn())) {
            if (identity != null && !columns.contains(identity)) {
                missing.add(identity);
            }
        }
        for (FeatureSpec spec : schema.features()) {
            if (!spec.nullable() && !columns.contains(spec.name())) {
                missing.add(spec.name());
            }
        }
        if (!missing.isEmpty()) {
            throw new IllegalArgumentException(source.name() + " has no column " + missing
                    + " (identity columns and required features); its header is " + columns);
        }
    }

    /** The reader thread: source rows to validated, encoded batches; ends with END or the failure. */
    private static void read(IngestSource source, RowStager stager, IngestOptions options,
                             BlockingQueue<Object> queue) {
        try {
            CopyBatch chunk = new CopyBatch();
            long dataRow = 0;
            SourceRow row;
            while ((row = source.next()) != null) {
                dataRow++;
                chunk.read++;
                if (row.parseError() != null) {
                    chunk.reject(row, List.of(new Violation("(row)", null, "parse_error", row.parseError())));
                } else {
                    stager.stage(row, dataRow, chunk);
                }
                if (chunk.read >= options.batchSize()) {
                    chunk.bytesRead = source.bytesRead();
                    queue.put(chunk);
                    chunk = chunk.next();
                }
            }
            chunk.bytesRead = source.bytesRead();
            queue.put(chunk);
            queue.put(END);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Throwable t) {
            try {
                queue.put(t);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static void throwAs(Throwable t) throws IOException, SQLException {
        if (t instanceof IOException e) {
            throw e;
        }
        if (t instanceof SQLException e) {
            throw e;
        }
        if (t instanceof RuntimeException e) {
            throw e;
        }
        if (t instanceof Error e) {
            throw e;
        }
        throw new IOException(t);
    }
}
