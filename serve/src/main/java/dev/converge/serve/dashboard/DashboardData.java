package dev.converge.serve.dashboard;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import javax.sql.DataSource;

/**
 * What the dashboard shows from the registry and the monitor's tables: versions, history and deployments, the latest
 * drift run, the last training sweeps. Blocking JDBC reads, run on a worker by {@link Dashboard}.
 */
public final class DashboardData {
    private final DataSource db;
    private final String model;
    private final double psiWarn;
    private final double psiAlert;

    public DashboardData(DataSource db, String model, double psiWarn, double psiAlert) {
        this.db = db;
        this.model = model;
        this.psiWarn = psiWarn;
        this.psiAlert = psiAlert;
    }

    /** Through the registry's own reads (the champion replayed from its history, as everywhere else). */
    JsonObject readModel() throws SQLException {
        dev.converge.registry.ModelRegistry registry = new dev.converge.registry.ModelRegistry(db);
        JsonObject o = new JsonObject().put("model", model);
        JsonArray versions = new JsonArray();
        for (dev.converge.registry.ModelVersion v : registry.list(model)) {
            JsonObject metrics = new JsonObject();
            for (String k : new String[] {"auc", "logloss", "rmse", "mae", "r2", "selection_metric",
                "model_algorithm", "holdout_rows"}) {
                if (v.metrics().containsKey(k)) {
                    metrics.put(k, v.metrics().get(k));
                }
            }
            versions.add(new JsonObject().put("version", v.version()).put("algorithm", v.algorithm())
                    .put("registered_at", v.createdAt().toString()).put("metrics", metrics));
        }
        o.put("versions", versions);
        JsonArray events = new JsonArray();
        List<dev.converge.registry.ModelEvent> history = registry.history(model);
        for (int i = history.size() - 1; i >= Math.max(0, history.size() - 30); i--) { // newest first
            dev.converge.registry.ModelEvent e = history.get(i);
            events.add(new JsonObject().put("id", e.id()).put("version", e.version()).put("event", e.type().wireName())
                    .put("actor", e.actor()).put("reason", e.reason()).put("at", e.at().toString()));
        }
        o.put("events", events);
        JsonArray deployments = new JsonArray();
        try {
            List<dev.converge.registry.Deployment> all = registry.deploymentHistory(model);
            for (int i = all.size() - 1; i >= Math.max(0, all.size() - 20); i--) {
                dev.converge.registry.Deployment d = all.get(i);
                deployments.add(new JsonObject().put("id", d.id()).put("challengers", new JsonArray(d.challengers()
                        .stream().map(c -> new JsonObject().put("version", c.version()).put("mode", c.mode()
                                .wireName()).put("share", c.share())).toList())).put("allow_pinning", d.allowPinning())
                        .put("actor", d.actor()).put("reason", d.reason()).put("at", d.at().toString()));
            }
        } catch (SQLException e) {
            if (!"42P01".equals(e.getSQLState())) { // a registry from before experiments has none
                throw e;
            }
        }
        return o.put("deployments", deployments);
    }

    JsonObject readDrift() throws SQLException {
        JsonObject o = new JsonObject().put("model", model).put("psi_warn", psiWarn).put("psi_alert", psiAlert);
        JsonArray features = new JsonArray();
        try (Connection c = db.getConnection(); PreparedStatement q = c.prepareStatement("SELECT feature, psi, ks,"
                + " level, bins::text, computed_at, version, sample_rows, run_id FROM drift_reports WHERE run_id = ("
                + "SELECT run_id FROM drift_reports WHERE model = ? ORDER BY computed_at DESC, id DESC LIMIT 1)"
                + " ORDER BY psi DESC NULLS LAST")) {
            q.setString(1, model);
            try (ResultSet rs = q.executeQuery()) {
                while (rs.next()) {
                    o.put("computed_at", rs.getTimestamp(6).toInstant().toString()).put("version", rs.getInt(7))
                            .put("sample_rows", rs.getInt(8)).put("run_id", rs.getString(9));
                    features.add(new JsonObject().put("feature", rs.getString(1)).put("psi", rs.getObject(2))
                            .put("ks", rs.getObject(3)).put("level", rs.getString(4))
                            .put("bins", new JsonObject(rs.getString(5))));
                }
            }
        } catch (SQLException e) {
            if (!"42P01".equals(e.getSQLState())) {
                throw e;
            }
        }
        return o.put("features", features);
    }

    JsonObject readTraining() throws SQLException {
        JsonObject o = new JsonObject().put("model", model);
        JsonArray sweeps = new JsonArray();
        try (Connection c = db.getConnection()) {
            Integer champion = new dev.converge.registry.ModelRegistry(db).champion(model)
                    .map(dev.converge.registry.ModelVersion::version).orElse(null);
            try (PreparedStatement q = c.prepareStatement("SELECT r.version, r.sweep_id, v.metrics->>'selection_metric',"
                    + " v.metrics->>'model_algorithm', v.created_at FROM model_reference r JOIN model_versions v USING"
                    + " (name, version) WHERE r.name = ? ORDER BY r.version DESC LIMIT 3")) {
                q.setString(1, model);
                try (ResultSet rs = q.executeQuery()) {
                    while (rs.next()) {
                        String metric = rs.getString(3) == null ? "auc" : rs.getString(3);
                        sweeps.add(new JsonObject().put("version", rs.getInt(1)).put("sweep_id", rs.getString(2))
                                .put("metric", metric).put("chosen_algorithm", rs.getString(4))
                                .put("champion", champion != null && champion == rs.getInt(1))
                                .put("at", rs.getTimestamp(5).toInstant().toString()));
                    }
                }
            }
            for (int i = 0; i < sweeps.size(); i++) {
                JsonObject s = sweeps.getJsonObject(i);
                JsonArray runs = new JsonArray();
                try (PreparedStatement q = c.prepareStatement("SELECT task_index, algorithm, status, metrics::text,"
                        + " runtime_ms, error FROM training_runs WHERE sweep_id = ?::uuid ORDER BY task_index")) {
                    q.setString(1, s.getString("sweep_id"));
                    try (ResultSet rs = q.executeQuery()) {
                        while (rs.next()) {
                            JsonObject m = new JsonObject(rs.getString(4));
                            runs.add(new JsonObject().put("task", rs.getInt(1)).put("algorithm", rs.getString(2))
                                    .put("status", rs.getString(3)).put("score", m.getValue(s.getString("metric")))
                                    .put("runtime_ms", rs.getLong(5)).put("error", rs.getString(6)));
                        }
                    }
                }
                s.put("runs", runs);
            }
        }
        return o.put("sweeps", sweeps);
    }
}
