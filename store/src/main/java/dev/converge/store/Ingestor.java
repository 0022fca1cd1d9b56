package dev.converge.store;

import dev.converge.contracts.EntityId;
import dev.converge.contracts.FeatureSchema;
import dev.converge.contracts.FeatureSpec;
import dev.converge.contracts.FeatureValidator;
import dev.converge.contracts.RawText;
import dev.converge.contracts.Temperature;
import dev.converge.contracts.ValidationResult;
import dev.converge.contracts.Violation;
import dev.converge.registry.codec.Json;
import java.io.IOException;
import java.io.StringReader;
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
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyManager;

/**
 * Loads a source into the feature store. Every row is validated with the shared contracts; good rows are COPYed
 * in batches into a staging table and from there into {@code feature_history} and {@code feature_online}; every
 * bad row goes to {@code ingest_rejects} with all its reasons. A bad row never costs a good one: rows the database
 * would refuse (a hot document over its size limit) are filtered out of the batch in SQL and rejected too.
 */
public final class Ingestor {
    /** Largest hot document, as pg_column_size of the jsonb, that feature_history accepts (V1 migration). */
    public static final int HOT_MAX_BYTES = 1800;
    public static final int ENTITY_ID_MAX_BYTES = EntityId.MAX_BYTES;
    static final Instant EARLIEST_EVENT = Instant.parse("1900-01-01T00:00:00Z");
    static final Duration MAX_FUTURE_SKEW = Duration.ofDays(1);
    private static final int SAMPLE_REJECTS = 20;

    private final Database db;
    private final Clock clock;

    public Ingestor(Database db, Clock clock) {
        this.db = db;
        this.clock = clock;
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
            int schemaVersion = SchemaRegistry.register(c, schema).version();
            c.setAutoCommit(true);
            try (Statement st = c.createStatement()) {
                st.execute("CREATE TEMP TABLE IF NOT EXISTS converge_stage (line bigint NOT NULL, entity_id text NOT NULL,"
                        + " event_timestamp timestamptz NOT NULL, hot jsonb NOT NULL, cold jsonb) ON COMMIT DELETE ROWS");
                // EXTERNAL: never compressed, so pg_column_size(hot) is the size feature_history's CHECK will see.
                st.execute("ALTER TABLE converge_stage ALTER COLUMN hot SET STORAGE EXTERNAL");
            }
            try (PreparedStatement run = c.prepareStatement(
                    "INSERT INTO ingest_runs (id, source, schema_version) VALUES (?, ?, ?)")) {
                run.setObject(1, ingestId);
                run.setString(2, source.name());
                run.setInt(3, schemaVersion);
                run.executeUpdate();
            }
            Writer writer = new Writer(c, ingestId, source.name(), schemaVersion);
            Set<String> unknown = java.util.concurrent.ConcurrentHashMap.newKeySet();
            BlockingQueue<Object> queue = new ArrayBlockingQueue<>(2);
            Thread reader = new Thread(() -> read(source, validator, options, ingestTime, unknown, queue),
                    "converge-ingest-reader");
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
                    Chunk chunk = (Chunk) next;
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
            try (PreparedStatement done = c.prepareStatement("UPDATE ingest_runs SET finished_at = now(),"
                    + " rows_read = ?, rows_accepted = ?, rows_rejected = ? WHERE id = ?")) {
                done.setLong(1, writer.read);
                done.setLong(2, writer.accepted);
                done.setLong(3, writer.rejected);
                done.setObject(4, ingestId);
                done.executeUpdate();
            }
            return new IngestReport(ingestId, source.name(), schemaVersion, writer.read, writer.accepted,
                    writer.rejected, writer.reasons, writer.samples, List.copyOf(new java.util.TreeSet<>(unknown)),
                    Duration.ofNanos(System.nanoTime() - started));
        }
    }

    private static final Object END = new Object();

    /**
     * Proposes a schema from the first {@code sampleRows} parseable rows of a file, leaving out the identity
     * columns; the hot set is kept 200 bytes under the hot limit on the sample, for the rows it did not see.
     */
    public static FeatureSchema proposeSchema(java.nio.file.Path file, IngestOptions options, int sampleRows)
            throws IOException {
        dev.converge.contracts.SchemaInference inference = new dev.converge.contracts.SchemaInference();
        try (IngestSource source = IngestSource.open(file)) {
            SourceRow row;
            while (inference.rows() < sampleRows && (row = source.next()) != null) {
                if (row.cells() == null) {
                    continue;
                }
                Map<String, Object> cells = new LinkedHashMap<>(row.cells());
                cells.remove(options.entityColumn());
                cells.remove(options.timestampColumn());
                inference.add(cells);
            }
        }
        return inference.propose(HOT_MAX_BYTES - 200);
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

    /** The reader thread: source rows to validated, encoded chunks; ends with END or the failure. */
    private void read(IngestSource source, FeatureValidator validator, IngestOptions options, Instant ingestTime,
                      Set<String> unknown, BlockingQueue<Object> queue) {
        try {
            Chunk chunk = new Chunk();
            long dataRow = 0;
            SourceRow row;
            while ((row = source.next()) != null) {
                dataRow++;
                chunk.read++;
                if (row.parseError() != null) {
                    chunk.reject(row, List.of(new Violation("(row)", null, "parse_error", row.parseError())));
                } else {
                    stage(row, dataRow, ingestTime, validator, options, chunk, unknown);
                }
                if (chunk.read >= options.batchSize()) {
                    chunk.bytesRead = source.bytesRead();
                    queue.put(chunk);
                    chunk = new Chunk();
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

    private void stage(SourceRow row, long dataRow, Instant ingestTime, FeatureValidator validator,
                       IngestOptions options, Chunk batch, Set<String> unknown) {
        Map<String, Object> cells = new LinkedHashMap<>(row.cells());
        List<Violation> problems = new ArrayList<>();
        String entity = options.entityColumn() == null ? Long.toString(dataRow)
                : entityId(cells.remove(options.entityColumn()), options.entityColumn(), problems);
        if (entity != null && !options.entityPrefix().isEmpty()) {
            entity = options.entityPrefix() + entity;
            if (!EntityId.isValid(entity)) {
                problems.add(new Violation(String.valueOf(options.entityColumn()), FeatureValidator.render(entity),
                        "bad_entity_id", "entity id with its prefix exceeds " + ENTITY_ID_MAX_BYTES + " bytes"));
                entity = null;
            }
        }
        Instant eventTime = options.timestampColumn() == null ? ingestTime
                : eventTime(cells.remove(options.timestampColumn()), options.timestampColumn(), problems);
        ValidationResult result = validator.validate(cells);
        problems.addAll(result.violations());
        if (!problems.isEmpty()) {
            batch.reject(row, problems);
            return;
        }
        unknown.addAll(result.unknown());
        Map<String, Object> hot = new LinkedHashMap<>();
        Map<String, Object> cold = new LinkedHashMap<>();
        FeatureSchema schema = validator.schema();
        for (Map.Entry<String, Object> e : result.values().entrySet()) {
            FeatureSpec spec = schema.feature(e.getKey()).orElseThrow();
            (spec.temperature() == Temperature.HOT ? hot : cold).put(e.getKey(), e.getValue());
        }
        batch.add(row, entity, eventTime, Json.writeFeatures(hot), cold.isEmpty() ? null : Json.writeFeatures(cold));
    }

    private static String entityId(Object v, String column, List<Violation> problems) {
        String id = null;
        if (v instanceof RawText t) {
            id = t.text();
        } else if (v instanceof String s) {
            id = s;
        } else if (v instanceof Integer || v instanceof Long || v instanceof BigInteger) {
            id = v.toString(); // JSON integers are lossless ids; decimals and booleans are not ids
        } else if (v != null) {
            problems.add(new Violation(column, FeatureValidator.render(v), "bad_entity_id",
                    "entity id '" + column + "' must be a string or an integer, was " + FeatureValidator.render(v)));
            return null;
        }
        if (id == null || id.isEmpty()) {
            problems.add(new Violation(column, null, "missing_entity_id", "entity id '" + column + "' is missing"));
            return null;
        }
        java.util.Optional<String> problem = EntityId.problem(id);
        if (problem.isPresent()) {
            problems.add(new Violation(column, FeatureValidator.render(id), "bad_entity_id", "entity id '" + column
                    + "' must be " + EntityId.RULE + "; " + problem.get()));
            return null;
        }
        return id;
    }

    private Instant eventTime(Object v, String column, List<Violation> problems) {
        String s = v instanceof RawText t ? t.text() : v instanceof String str ? str : null;
        if (s == null || s.isEmpty()) {
            problems.add(new Violation(column, FeatureValidator.render(v), v == null || s != null
                    ? "missing_event_timestamp" : "bad_event_timestamp",
                    "event timestamp '" + column + "' must be an ISO-8601 timestamp or date, was "
                            + FeatureValidator.render(v)));
            return null;
        }
        Instant t = FeatureValidator.parseTimestamp(s);
        if (t == null) {
            problems.add(new Violation(column, FeatureValidator.render(v), "bad_event_timestamp",
                    "event timestamp '" + column + "' must be an ISO-8601 timestamp with an offset or a date, was "
                            + FeatureValidator.render(v)));
            return null;
        }
        Instant latest = clock.instant().plus(MAX_FUTURE_SKEW);
        if (t.isBefore(EARLIEST_EVENT) || t.isAfter(latest)) {
            problems.add(new Violation(column, FeatureValidator.render(v), "event_timestamp_out_of_range",
                    "event timestamp '" + column + "' must be within " + EARLIEST_EVENT + " .. " + latest
                            + " (a future event would shadow every real update), was " + t));
            return null;
        }
        return t.truncatedTo(ChronoUnit.MICROS);
    }

    /** One batch of encoded rows (COPY text) and validation rejects, built by the reader thread. */
    private static final class Chunk {
        final StringBuilder copy = new StringBuilder(1 << 20);
        final Map<Long, String> rawByLine = new HashMap<>();
        final List<IngestReport.Reject> rejects = new ArrayList<>();
        Instant minTime;
        Instant maxTime;
        int staged;
        long read;
        long bytesRead;

        void reject(SourceRow row, List<Violation> why) {
            rejects.add(new IngestReport.Reject(row.lineNumber(), row.raw(), List.copyOf(why)));
        }

        void add(SourceRow row, String entity, Instant eventTime, String hot, String cold) {
            rawByLine.put(row.lineNumber(), row.raw());
            copy.append(row.lineNumber()).append(',');
            quote(entity);
            copy.append(',').append(eventTime).append(',');
            quote(hot);
            copy.append(',');
            if (cold != null) {
                quote(cold);
            }
            copy.append('\n');
            minTime = minTime == null || eventTime.isBefore(minTime) ? eventTime : minTime;
            maxTime = maxTime == null || eventTime.isAfter(maxTime) ? eventTime : maxTime;
            staged++;
        }

        private void quote(String s) {
            copy.append('"');
            for (int i = 0; i < s.length(); i++) {
                char ch = s.charAt(i);
                if (ch == '"') {
                    copy.append('"');
                }
                copy.append(ch);
            }
            copy.append('"');
        }
    }

    /** Writes chunks, one transaction each, and keeps the run's counts. Used by the calling thread only. */
    private static final class Writer {
        private final Connection c;
        private final UUID ingestId;
        private final String sourceName;
        private final int schemaVersion;
        long read;
        long accepted;
        long rejected;
        final Map<String, Long> reasons = new TreeMap<>();
        final List<IngestReport.Reject> samples = new ArrayList<>();

        Writer(Connection c, UUID ingestId, String sourceName, int schemaVersion) {
            this.c = c;
            this.ingestId = ingestId;
            this.sourceName = sourceName;
            this.schemaVersion = schemaVersion;
        }

        void flush(Chunk chunk) throws SQLException, IOException {
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
            c.setAutoCommit(false);
            try {
                if (chunk.staged > 0) {
                    CopyManager copier = c.unwrap(PGConnection.class).getCopyAPI();
                    copier.copyIn("COPY converge_stage (line, entity_id, event_timestamp, hot, cold) FROM STDIN"
                            + " (FORMAT csv)", new StringReader(chunk.copy.toString()));
                    rejects.addAll(oversizedHot(chunk));
                    try (PreparedStatement ins = c.prepareStatement("INSERT INTO feature_history"
                            + " (entity_id, event_timestamp, ingested_at, feature_version, hot, cold)"
                            + " SELECT entity_id, event_timestamp, now(), ?, hot, cold FROM converge_stage"
                            + " WHERE pg_column_size(hot) <= " + HOT_MAX_BYTES)) {
                        ins.setInt(1, schemaVersion);
                        inserted = ins.executeUpdate();
                    }
                    try (PreparedStatement up = c.prepareStatement(OnlineStore.UPSERT_FROM_STAGE)) {
                        up.setInt(1, schemaVersion);
                        up.executeUpdate();
                    }
                }
                writeRejects(rejects);
                c.commit();
            } catch (SQLException | IOException | RuntimeException e) {
                c.rollback();
                throw e;
            } finally {
                c.setAutoCommit(true);
            }
            read += chunk.read;
            accepted += inserted;
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

        private List<IngestReport.Reject> oversizedHot(Chunk chunk) throws SQLException {
            List<IngestReport.Reject> out = new ArrayList<>();
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(
                    "SELECT line, pg_column_size(hot) FROM converge_stage WHERE pg_column_size(hot) > "
                            + HOT_MAX_BYTES + " ORDER BY line")) {
                while (rs.next()) {
                    long line = rs.getLong(1);
                    int size = rs.getInt(2);
                    out.add(new IngestReport.Reject(line, chunk.rawByLine.get(line), List.of(new Violation("(hot)",
                            null, "hot_too_large", "the hot features of this row take " + size
                            + " bytes as jsonb; the limit is " + HOT_MAX_BYTES
                            + " so that hot documents are never TOASTed. Mark wide features cold."))));
                }
            }
            return out;
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
                    ins.setString(4, r.raw().replace("\0", "\\u0000"));
                    ins.setString(5, Json.write(r.reasons().stream().map(v -> {
                        Map<String, Object> m = new LinkedHashMap<>();
                        m.put("feature", v.feature());
                        m.put("value", v.value());
                        m.put("reason", v.reason());
                        m.put("message", v.message());
                        return m;
                    }).toList()).replace("\\u0000", "\\\\u0000"));
                    ins.addBatch();
                }
                ins.executeBatch();
            }
        }
    }
}
