package dev.converge.serve.monitor;

import dev.converge.registry.ModelReference;
import dev.converge.registry.ModelRegistry;
import dev.converge.registry.codec.Json;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import javax.sql.DataSource;

/**
 * The drift run: a uniform sample (at most {@code sampleRows}) of a model version's logged predictions in a window,
 * compared feature by feature, and the predictions themselves ({@link #PREDICTION}: a binomial model's probability,
 * a regression's value, a multinomial model's label), with the training baselines registered with the version
 * ({@link Drift}), written to
 * {@code drift_reports} and published as {@code converge_drift_psi}. One replica at a time: a run takes a
 * transaction-scoped advisory lock for the model and skips when another holds it. The sample comes from the
 * prediction log, which every replica writes: it is shared, durable across restarts and already holds the
 * features as scored (docs/decisions/0011-drift-sample-from-the-prediction-log.md).
 */
public final class DriftJob {
    /** What a run found; {@code skipped} names why nothing was computed (another replica's run, no baselines). */
    public record Report(UUID runId, String model, int version, Instant windowStart, Instant windowEnd, long logged,
                         int sampled, List<Drift.FeatureDrift> features, String skipped) {}

    private final DataSource db;
    private final double warn;
    private final double alert;
    private final int sampleRows;
    private final MeterRegistry metrics;
    private final Map<String, double[]> published = new ConcurrentHashMap<>();

    public DriftJob(DataSource db, double warn, double alert, int sampleRows, MeterRegistry metrics) {
        this.db = db;
        this.warn = warn;
        this.alert = alert;
        this.sampleRows = sampleRows;
        this.metrics = metrics;
    }

    public String level(Drift.FeatureDrift f) {
        return f.level(warn, alert);
    }

    /** Runs over the predictions of {@code model} v{@code version} logged in the last {@code window}. Blocking. */
    public Report run(String model, int version, Duration window) throws SQLException {
        Instant end = Instant.now();
        Instant start = end.minus(window);
        UUID runId = UUID.randomUUID();
        try (Connection c = db.getConnection()) {
            c.setAutoCommit(false);
            try {
                Report r = run(c, runId, model, version, start, end);
                c.commit();
                return r;
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        }
    }

    private Report run(Connection c, UUID runId, String model, int version, Instant start, Instant end)
            throws SQLException {
        try (PreparedStatement lock = c.prepareStatement("SELECT pg_try_advisory_xact_lock(hashtext(?))")) {
            lock.setString(1, "converge-drift/" + model);
            try (ResultSet rs = lock.executeQuery()) {
                rs.next();
                if (!rs.getBoolean(1)) {
                    return new Report(runId, model, version, start, end, 0, 0, List.of(), "another replica is"
                            + " running the drift job for '" + model + "'");
                }
            }
        }
        ModelReference ref = new ModelRegistry(db).reference(model, version).orElse(null);
        if (ref == null || ref.baselines() == null || ref.baselines().isEmpty()) {
            return new Report(runId, model, version, start, end, 0, 0, List.of(), "model '" + model + "' v" + version
                    + " was registered without training baselines");
        }
        long logged;
        try (PreparedStatement q = c.prepareStatement("SELECT count(*) FROM prediction_log WHERE model = ? AND"
                + " version = ? AND predicted_at >= ? AND predicted_at < ? AND" + PredictionLog.modelAnswers(""))) {
            bindWindow(q, model, version, start, end);
            try (ResultSet rs = q.executeQuery()) {
                rs.next();
                logged = rs.getLong(1);
            }
        }
        // Bernoulli sampling keeps each row with the same probability: a uniform sample, at about 1.2x the target
        // so that LIMIT rarely finds too few.
        double percent = logged <= sampleRows ? 100 : Math.min(100, 120.0 * sampleRows / logged);
        List<Map<String, Object>> rows = new ArrayList<>();
        try (PreparedStatement q = c.prepareStatement("SELECT features::text, output::text FROM prediction_log"
                + (percent < 100 ? " TABLESAMPLE BERNOULLI (" + percent + ")" : "")
                + " WHERE model = ? AND version = ? AND predicted_at >= ? AND predicted_at < ? AND"
                + PredictionLog.modelAnswers("") + " LIMIT " + sampleRows)) {
            bindWindow(q, model, version, start, end);
            q.setFetchSize(1000);
            try (ResultSet rs = q.executeQuery()) {
                @SuppressWarnings("unchecked")
                Map<String, Object> predicted = (Map<String, Object>) ref.baselines().get(PREDICTION);
                while (rs.next()) {
                    Map<String, Object> row = Json.readMap(rs.getString(1));
                    if (predicted != null) {
                        row.put(PREDICTION, predictedValue(predicted, Json.readMap(rs.getString(2))));
                    }
                    rows.add(row);
                }
            }
        }
        List<Drift.FeatureDrift> features = Drift.all(ref.baselines(), rows);
        try (PreparedStatement ins = c.prepareStatement("INSERT INTO drift_reports (run_id, model, version,"
                + " window_start, window_end, sample_rows, feature, psi, ks, level, bins) VALUES (?, ?, ?, ?, ?, ?, ?,"
                + " ?, ?, ?, ?::jsonb)")) {
            for (Drift.FeatureDrift f : features) {
                ins.setObject(1, runId);
                ins.setString(2, model);
                ins.setInt(3, version);
                ins.setTimestamp(4, Timestamp.from(start));
                ins.setTimestamp(5, Timestamp.from(end));
                ins.setInt(6, rows.size());
                ins.setString(7, f.feature());
                if (f.rows() == 0) {
                    ins.setNull(8, java.sql.Types.DOUBLE);
                } else {
                    ins.setDouble(8, f.psi());
                }
                if (f.ks() == null) {
                    ins.setNull(9, java.sql.Types.DOUBLE);
                } else {
                    ins.setDouble(9, f.ks());
                }
                ins.setString(10, level(f));
                Map<String, Object> bins = new LinkedHashMap<>();
                f.bins().forEach((k, v) -> bins.put(k, List.of(v[0], v[1])));
                ins.setString(11, Json.write(bins));
                ins.addBatch();
                publish(model, f);
            }
            ins.executeBatch();
        }
        return new Report(runId, model, version, start, end, logged, rows.size(), features, null);
    }

    /** The baseline key of the predictions' own distribution ({@code train.Baselines.PREDICTION}). */
    public static final String PREDICTION = "(prediction)";

    /** What the predictions' baseline measures, read from a logged output. */
    static Object predictedValue(Map<String, Object> baseline, Map<String, Object> output) {
        return switch (String.valueOf(baseline.get("source"))) {
            case "probability" -> output.get("probabilities") instanceof Map<?, ?> p ? p.get(baseline.get("class"))
                    : null;
            default -> output.get("prediction"); // "value" and "label"
        };
    }

    private void publish(String model, Drift.FeatureDrift f) {
        double[] holder = published.computeIfAbsent(model + "/" + f.feature(), k -> {
            double[] h = {Double.NaN};
            Gauge.builder("converge.drift.psi", h, a -> a[0]).tag("model", model).tag("feature", f.feature())
                    .description("PSI of the feature's served values against the training baseline, last run")
                    .register(metrics);
            return h;
        });
        holder[0] = f.rows() == 0 ? Double.NaN : f.psi();
    }

    private static void bindWindow(PreparedStatement q, String model, int version, Instant start, Instant end)
            throws SQLException {
        q.setString(1, model);
        q.setInt(2, version);
        q.setTimestamp(3, Timestamp.from(start));
        q.setTimestamp(4, Timestamp.from(end));
    }
}
