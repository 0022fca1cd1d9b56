package dev.converge.serve.monitor;

import dev.converge.serve.outcome.OutcomeListener;
import dev.converge.serve.outcome.ScoredRow;
import dev.converge.serve.config.PredictionLogSettings;
import dev.converge.contracts.Violation;
import dev.converge.model.Prediction;
import dev.converge.registry.codec.Json;
import dev.converge.serve.config.ServeConfig;
import dev.converge.serve.model.ModelHandle;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;

/**
 * The prediction log: a sample of the predictions made (features as scored, output, latency, flags), written to the
 * partitioned {@code prediction_log} table by one thread of its own, in batches of one statement each, so that the
 * log never slows or fails an answer. A prediction is offered to a bounded buffer and dropped, counted, when the
 * buffer is full or the database refuses the batch; partitions are created a day ahead and dropped whole after
 * the retention period.
 */
public class PredictionLog implements AutoCloseable, OutcomeListener {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(PredictionLog.class);

    /** A log that keeps nothing ({@code serve.prediction_log=off}). */
    public static final PredictionLog OFF = new PredictionLog();

    /** @param defaultAnswer why the answer is the server's default, not a model's (null: the model answered) */
    record Entry(String id, Instant at, String model, int version, String variant, String entityId,
                 Map<String, Object> features, Prediction prediction, double latencyMs, boolean cached,
                 boolean degraded, List<Violation> warnings, String defaultAnswer) {
        Entry(String id, Instant at, String model, int version, String variant, String entityId,
              Map<String, Object> features, Prediction prediction, double latencyMs, boolean cached,
              boolean degraded, List<Violation> warnings) {
            this(id, at, model, version, variant, entityId, features, prediction, latencyMs, cached, degraded,
                    warnings, null);
        }
    }

    /**
     * The SQL condition that keeps a reader to the model's own answers: a default answer (a dependency failed and
     * the request's features were not enough to score) is logged, degraded, with {@code output.default_answer}, so
     * that it can be found, but it is no prediction of the model: drift, feedback metrics and experiment reports
     * leave it out. {@code alias} is the prediction_log's alias in the query ("" for none).
     */
    public static String modelAnswers(String alias) {
        // Not "output ? 'default_answer'": JDBC would take the ? for a parameter.
        return " (" + (alias.isEmpty() ? "" : alias + ".") + "output -> 'default_answer') IS NULL";
    }

    private static final String INSERT = "INSERT INTO prediction_log (id, predicted_at, model, version, variant,"
            + " entity_id, features, output, latency_ms, cached, degraded, warnings) SELECT id, predicted_at, model,"
            + " version, variant, entity_id, features, output, latency_ms, cached, degraded, warnings FROM"
            + " jsonb_to_recordset(?::jsonb) AS r(id uuid, predicted_at timestamptz, model text, version int,"
            + " variant text, entity_id text, features jsonb, output jsonb, latency_ms real, cached boolean,"
            + " degraded boolean, warnings jsonb)";

    private final PredictionLogSettings settings;
    private final DataSource db;
    private final ArrayBlockingQueue<Entry> buffer;
    private final Counter written;
    private final Counter droppedFull;
    private final Counter droppedFailed;
    private final Counter overRate;
    /** Rows offered in the current second ({@code second} below), for the rate bound. */
    private final java.util.concurrent.atomic.AtomicLong inSecond = new java.util.concurrent.atomic.AtomicLong();
    private volatile long second;
    private final Thread writer;
    private volatile boolean closed;
    /** Off until the server's warm-up is done: its synthetic requests are not predictions anyone made. */
    private volatile boolean accepting;
    private long maintainedAt;

    private PredictionLog() {
        settings = PredictionLogSettings.OFF;
        db = null;
        buffer = null;
        written = droppedFull = droppedFailed = overRate = null;
        writer = null;
    }

    public PredictionLog(PredictionLogSettings settings, DataSource db, MeterRegistry metrics) {
        this.settings = settings;
        this.db = db;
        this.buffer = new ArrayBlockingQueue<>(settings.bufferRows());
        this.written = Counter.builder("converge.prediction_log.rows").tag("outcome", "written").register(metrics);
        this.droppedFull = Counter.builder("converge.prediction_log.rows").tag("outcome", "dropped_buffer_full")
                .register(metrics);
        this.droppedFailed = Counter.builder("converge.prediction_log.rows").tag("outcome", "dropped_write_failed")
                .register(metrics);
        this.overRate = Counter.builder("converge.prediction_log.rows").tag("outcome", "over_rate_bound")
                .register(metrics);
        metrics.gauge("converge.prediction_log.buffered", buffer, ArrayBlockingQueue::size);
        this.writer = new Thread(this::run, "converge-prediction-log");
        writer.setDaemon(true);
        writer.start();
    }

    /** Offers the row to the log, and marks on it whether the log took it (a shadow mirrors only those). */
    @Override
    public void scored(ScoredRow row) {
        row.logged().set(offer(row.predictionId(), row.model(), row.ref().variant(), row.entityId(), row.values(),
                row.prediction(), row.timing().totalNanos() / 1e6, row.cached(), row.degraded(), row.warnings()));
    }

    /** Logs a default answer like any other answer (sampled, rate-bounded), marked as such. */
    @Override
    public void answeredByDefault(ScoredRow row, String reason) {
        if (admit()) {
            buffer(new Entry(row.predictionId(), Instant.now(), row.model().name(), row.model().version(),
                    row.ref().variant(), row.entityId(), row.request(), row.prediction(),
                    row.timing().totalNanos() / 1e6, false, true, row.warnings(), reason));
        }
    }

    /**
     * Offers a scored prediction to the log (a sample of them, at {@code serve.prediction_log.sample}, and at most
     * {@code serve.prediction_log.max_rows_per_s} a second); never blocks: with the buffer full the prediction is
     * dropped and counted. Returns whether it was taken (a shadow mirrors only the answers that were).
     */
    public boolean offer(String id, ModelHandle model, String variant, String entityId, Map<String, Object> features,
                  Prediction p, double latencyMs, boolean cached, boolean degraded, List<Violation> warnings) {
        if (!admit()) {
            return false;
        }
        return buffer(new Entry(id, Instant.now(), model.name(), model.version(), variant, entityId, features, p,
                latencyMs, cached, degraded, warnings));
    }

    /**
     * A shadow's row, paired with a champion's row the log took: not sampled or rate-bounded again (the pair would
     * be broken), only bounded by the buffer.
     */
    public boolean offerPaired(String id, ModelHandle model, String variant, String entityId, Map<String, Object> features,
                        Prediction p, double latencyMs) {
        return buffer(new Entry(id, Instant.now(), model.name(), model.version(), variant, entityId, features, p,
                latencyMs, false, false, List.of()));
    }

    /** The sample and the rate bound: whether this answer is one the log keeps. */
    private boolean admit() {
        if (!accepting || !settings.on() || settings.sampleRate() < 1 && ThreadLocalRandom.current().nextDouble()
                >= settings.sampleRate()) {
            return false;
        }
        long now = System.nanoTime() / 1_000_000_000L;
        if (now != second) {
            second = now;
            inSecond.set(0);
        }
        if (inSecond.incrementAndGet() > settings.maxRowsPerSecond()) {
            overRate.increment(); // beyond the bound, the seconds' first rows are kept: a sample over time
            return false;
        }
        return true;
    }

    private boolean buffer(Entry e) {
        if (buffer.offer(e)) {
            return true;
        }
        droppedFull.increment();
        return false;
    }

    /** From now on, predictions are logged (the server calls this once warmed up). */
    public void accept() {
        accepting = !missingTable;
    }

    private volatile boolean missingTable;

    /** Whether the log's table exists (the server does not migrate; an old database lacks it). */
    private boolean migrated() {
        for (int attempt = 0; attempt < 30 && !closed; attempt++) {
            try (Connection c = db.getConnection(); var st = c.createStatement();
                 var rs = st.executeQuery("SELECT to_regclass('prediction_log') IS NOT NULL")) {
                rs.next();
                return rs.getBoolean(1);
            } catch (SQLException e) { // PostgreSQL not reachable yet: the writes will say so when it is needed
                sleepQuietly(1000);
            }
        }
        return true;
    }

    private void run() {
        if (!migrated()) {
            accepting = false;
            missingTable = true;
            LOG.error("prediction log: the database has no prediction_log table (it predates migration 7): run"
                    + " `converge migrate`; until this server restarts, predictions are not logged");
            return;
        }
        try {
            List<Entry> batch = new ArrayList<>(settings.batchRows());
            while (!closed || !buffer.isEmpty()) {
                try {
                    maintain();
                    Entry first = buffer.poll(settings.flushMillis(), TimeUnit.MILLISECONDS);
                    if (first == null) {
                        continue;
                    }
                    batch.add(first);
                    buffer.drainTo(batch, settings.batchRows() - 1);
                    write(batch);
                } catch (InterruptedException e) {
                    if (closed) {
                        buffer.drainTo(batch);
                        write(batch);
                        return;
                    }
                } finally {
                    batch.clear();
                }
            }
        } finally {
            dropConnection();
        }
    }

    /** The writer's one connection, kept open (a new connection per batch forked a PostgreSQL backend each time). */
    private Connection conn;

    private Connection connection() throws SQLException {
        if (conn == null || conn.isClosed()) {
            conn = db.getConnection();
        }
        return conn;
    }

    private void dropConnection() {
        try {
            if (conn != null) {
                conn.close();
            }
        } catch (SQLException ignored) {
            // going anyway
        }
        conn = null;
    }

    /**
     * One INSERT for the batch: the rows as one JSON array, expanded by {@code jsonb_to_recordset} (one parameter,
     * no per-element array quoting).
     */
    private void write(List<Entry> batch) {
        if (batch.isEmpty()) {
            return;
        }
        try (PreparedStatement st = connection().prepareStatement(INSERT)) {
            StringBuilder b = new StringBuilder(batch.size() * 700).append('[');
            for (int i = 0; i < batch.size(); i++) {
                Entry e = batch.get(i);
                Map<String, Object> out = new LinkedHashMap<>();
                out.put("prediction", e.prediction().value());
                if (e.prediction().probabilities() != null) {
                    out.put("probabilities", e.prediction().probabilities());
                }
                if (e.defaultAnswer() != null) {
                    out.put("default_answer", e.defaultAnswer());
                }
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("id", e.id());
                row.put("predicted_at", e.at().toString());
                row.put("model", e.model());
                row.put("version", e.version());
                row.put("variant", e.variant());
                row.put("entity_id", e.entityId());
                row.put("features", e.features());
                row.put("output", out);
                row.put("latency_ms", (float) e.latencyMs());
                row.put("cached", e.cached());
                row.put("degraded", e.degraded());
                row.put("warnings", e.warnings().isEmpty() ? null : e.warnings().stream()
                        .map(w -> Map.of("field", String.valueOf(w.feature()), "reason", w.reason())).toList());
                b.append(i == 0 ? "" : ",").append(Json.write(row));
            }
            st.setString(1, b.append(']').toString());
            st.executeUpdate();
            written.increment(batch.size());
        } catch (SQLException | RuntimeException e) {
            droppedFailed.increment(batch.size());
            LOG.warn("prediction log: dropped {} rows ({})", batch.size(), e.getMessage());
            dropConnection();
            maintainedAt = 0; // a missing partition is the likeliest cause: make them now
            sleepQuietly(1000);
        }
    }

    /** Once an hour (and after a failed write): partitions from yesterday to two days ahead; old ones dropped. */
    private void maintain() {
        long now = System.currentTimeMillis();
        if (now - maintainedAt < 3_600_000L) {
            return;
        }
        maintainedAt = now;
        try (var st = connection().createStatement()) {
            st.execute("SELECT converge_ensure_log_partitions(now() - interval '1 day', now() + interval '2 days')");
            try (var rs = st.executeQuery("SELECT converge_drop_log_partitions(now() - interval '"
                    + settings.retentionDays() + " days')")) {
                while (rs.next()) {
                    LOG.info("prediction log: dropped partition {} (older than {} days)", rs.getString(1),
                            settings.retentionDays());
                }
            }
        } catch (SQLException e) {
            dropConnection();
            maintainedAt = now - 3_600_000L + 60_000L; // retry in a minute
            LOG.warn("prediction log: could not maintain partitions ({})", e.getMessage());
        }
    }

    private static void sleepQuietly(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Writes what is buffered (up to a few seconds), then stops. */
    @Override
    public void close() {
        if (writer == null) {
            return;
        }
        closed = true;
        writer.interrupt();
        try {
            writer.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
