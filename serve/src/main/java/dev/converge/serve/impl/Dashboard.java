package dev.converge.serve.impl;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.StaticHandler;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import javax.sql.DataSource;

/**
 * The dashboard at {@code /ui}: a static page (in the jar, uPlot from its WebJar, nothing fetched elsewhere) reading
 * four JSON endpoints of the server. {@code /ui/api/live}: the per-second series of {@link LiveSeries} and the model
 * as served, encoded once a second whoever asks; {@code /ui/api/model}, {@code /ui/api/drift} and
 * {@code /ui/api/training}: the registry, the latest drift run and the last sweeps, read on a worker and kept for a
 * few seconds, so any number of viewers costs the database one read per endpoint and period. Read-only: the page
 * changes state only through the admin routes, with the admin token.
 */
public final class Dashboard {
    /** The WebJar's path of uPlot's distribution, at the version the build bundled (the POM's uplot.version). */
    static final String UPLOT = "META-INF/resources/webjars/uplot/" + webjarVersion("uplot") + "/dist";

    private static String webjarVersion(String artifact) {
        String path = "META-INF/maven/org.webjars.npm/" + artifact + "/pom.properties";
        try (java.io.InputStream in = Dashboard.class.getClassLoader().getResourceAsStream(path)) {
            if (in == null) {
                throw new IllegalStateException("the " + artifact + " WebJar is not on the class path (" + path + ")");
            }
            java.util.Properties p = new java.util.Properties();
            p.load(in);
            return p.getProperty("version");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private final LiveSeries live;
    private final DataSource db;
    private final String model;
    private final Supplier<JsonObject> served;
    private final double psiWarn;
    private final double psiAlert;
    private volatile Buffer liveJson = new JsonObject().toBuffer();
    private final Cached modelJson = new Cached(2_000);
    private final Cached driftJson = new Cached(5_000);
    private final Cached trainingJson = new Cached(10_000);

    public Dashboard(LiveSeries live, DataSource db, String model, Supplier<JsonObject> served, double psiWarn,
                     double psiAlert) {
        this.live = live;
        this.db = db;
        this.model = model;
        this.served = served;
        this.psiWarn = psiWarn;
        this.psiAlert = psiAlert;
    }

    /** Samples the meters once a second and encodes the live answer then. */
    public void start(Vertx vertx) {
        vertx.setPeriodic(1000, 1000, id -> {
            live.sample(System.currentTimeMillis());
            liveJson = live.json().put("served", served.get()).put("model", model).toBuffer();
        });
    }

    public void mount(Vertx vertx, Router router) {
        router.get("/ui").handler(ctx -> {
            if (ctx.request().path().equals("/ui")) {
                ctx.redirect("/ui/");
            } else {
                ctx.next();
            }
        });
        router.get("/ui/vendor/*").handler(StaticHandler.create(UPLOT).setCachingEnabled(true).setMaxAgeSeconds(86400));
        router.get("/ui/api/live").handler(ctx -> ctx.response().putHeader("content-type", "application/json")
                .putHeader("cache-control", "no-store").end(liveJson));
        router.get("/ui/api/model").handler(ctx -> reply(ctx, modelJson.get(vertx, this::readModel)));
        router.get("/ui/api/drift").handler(ctx -> reply(ctx, driftJson.get(vertx, this::readDrift)));
        router.get("/ui/api/training").handler(ctx -> reply(ctx, trainingJson.get(vertx, this::readTraining)));
        router.get("/ui/*").handler(StaticHandler.create("ui").setCachingEnabled(false).setIndexPage("index.html"));
    }

    private static void reply(io.vertx.ext.web.RoutingContext ctx, Future<JsonObject> f) {
        f.onComplete(ar -> {
            if (ar.succeeded()) {
                ctx.response().putHeader("content-type", "application/json").putHeader("cache-control", "no-store")
                        .end(ar.result().toBuffer());
            } else {
                Responses.error(ctx, 503, "unavailable", "the registry could not be read: "
                        + Failures.describe(ar.cause()));
            }
        });
    }

    /** One value per period, read once however many ask (concurrent askers share the read). */
    private static final class Cached {
        private final long periodMillis;
        private Future<JsonObject> value;
        private long readAt;

        Cached(long periodMillis) {
            this.periodMillis = periodMillis;
        }

        synchronized Future<JsonObject> get(Vertx vertx, Callable<JsonObject> read) {
            long now = System.currentTimeMillis();
            if (value == null || now - readAt > periodMillis && value.isComplete()) {
                readAt = now;
                Promise<JsonObject> p = Promise.promise();
                value = p.future();
                vertx.executeBlocking(read, false).onComplete(p);
            }
            return value;
        }
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
