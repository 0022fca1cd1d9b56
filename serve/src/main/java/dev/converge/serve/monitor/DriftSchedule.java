package dev.converge.serve.monitor;

import dev.converge.serve.config.DriftSettings;
import dev.converge.registry.PgEndpoint;
import dev.converge.serve.alerts.Alerts;
import dev.converge.serve.config.ServeConfig;
import dev.converge.serve.model.ModelHandle;
import dev.converge.serve.model.Readiness;
import dev.converge.serve.module.ServeModule;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Drift as a capability: the drift job every {@code serve.drift.interval_minutes} on a worker of its own, for the
 * model served then, its alerts ({@code drift/<model>/<feature>} fired and resolved), the retraining a new alert
 * triggers when {@code serve.drift.retrain} is on, and a run on demand for the admin route.
 */
public final class DriftSchedule implements ServeModule {
    private static final Logger LOG = LoggerFactory.getLogger(DriftSchedule.class);

    private final DriftSettings settings;
    private final Supplier<ModelHandle> active;
    private final DriftJob job;
    private final Alerts alerts;
    private final Retrainer retrainer;
    private final WorkerExecutor worker;

    public DriftSchedule(DriftSettings d, PgEndpoint db, Supplier<ModelHandle> active, Alerts alerts,
                         MeterRegistry metrics, Vertx vertx) {
        this.settings = d;
        this.active = active;
        this.alerts = alerts;
        this.job = new DriftJob(db.dataSource(300), d.psiWarn(), d.psiAlert(), d.sampleRows(), metrics);
        this.retrainer = d.retrains() ? new Retrainer(db.dataSource(30), d.retrainCommand().isEmpty()
                ? Retrainer.defaultCommand(d.retrainPipeline(), db.url(), db.user()) : d.retrainCommand(),
                java.time.Duration.ofMinutes(d.retrainTimeoutMinutes()), alerts) : null;
        this.worker = vertx.createSharedWorkerExecutor("converge-drift", 1, 10, TimeUnit.MINUTES);
    }

    @Override
    public String name() {
        return "drift";
    }

    /** The drift job every serve.drift.interval_minutes, for the model served then (one replica at a time). */
    @Override
    public Future<Void> start(Vertx vertx) {
        long every = settings.intervalMinutes() * 60_000L;
        if (every > 0) {
            vertx.setPeriodic(every, every, id -> runNow(settings.windowMinutes()).onFailure(e ->
                    LOG.warn("drift run failed: {}", e.getMessage())));
        }
        return Future.succeededFuture();
    }

    @Override
    public Future<Void> stop() {
        if (retrainer != null) {
            retrainer.close();
        }
        return Future.succeededFuture();
    }

    /** Runs the drift job now for the served model over the last {@code windowMinutes}; the report as JSON. */
    public Future<JsonObject> runNow(int windowMinutes) {
        ModelHandle m = active.get();
        if (m == null) {
            return Future.failedFuture(new IllegalStateException(Readiness.LOADING));
        }
        return worker.executeBlocking(() -> job.run(m.name(), m.version(),
                java.time.Duration.ofMinutes(windowMinutes)), false).map(r -> {
                    LOG.info("drift of {} v{} over {} logged predictions ({} sampled): {}", r.model(), r.version(),
                            r.logged(), r.sampled(), r.skipped() != null ? r.skipped() : r.features().stream()
                                    .filter(f -> !job.level(f).equals("ok")).map(f -> f.feature() + " "
                                            + job.level(f) + " (PSI " + String.format("%.3f", f.psi()) + ")")
                                    .toList());
                    alertOnDrift(r);
                    return driftJson(r);
                });
    }

    /** A feature at the alert level fires {@code drift/<model>/<feature>}; one that no longer is, resolves it. */
    private void alertOnDrift(DriftJob.Report r) {
        if (r.skipped() != null) {
            return;
        }
        String prefix = "drift/" + r.model() + "/";
        java.util.Set<String> stillFiring = alerts.firing(prefix);
        boolean newAlert = false;
        for (Drift.FeatureDrift f : r.features()) {
            String key = prefix + f.feature();
            if (job.level(f).equals("alert")) {
                newAlert |= !alerts.isFiring(key);
                alerts.fire(key, "warning", "feature '" + f.feature() + "' of model '" + r.model() + "' v" + r.version()
                        + " has drifted: PSI " + String.format("%.3f", f.psi()) + " over " + r.sampled()
                        + " predictions", java.util.Map.of("model", r.model(), "version", r.version(), "feature",
                        f.feature(), "psi", f.psi(), "ks", f.ks() == null ? "" : f.ks(), "run_id",
                        r.runId().toString(), "sampled", r.sampled()));
                stillFiring.remove(key);
            }
        }
        stillFiring.forEach(key -> alerts.resolve(key, "feature '" + key.substring(prefix.length())
                + "' is back within the drift threshold (run " + r.runId() + ")"));
        if (newAlert && retrainer != null) {
            retrainer.trigger(r.model(), "drift run " + r.runId());
        }
    }

    private JsonObject driftJson(DriftJob.Report r) {
        JsonObject o = new JsonObject().put("run_id", r.runId().toString()).put("model", r.model())
                .put("version", r.version()).put("window_start", r.windowStart().toString())
                .put("window_end", r.windowEnd().toString()).put("logged", r.logged()).put("sampled", r.sampled());
        if (r.skipped() != null) {
            return o.put("skipped", r.skipped());
        }
        io.vertx.core.json.JsonArray features = new io.vertx.core.json.JsonArray();
        for (Drift.FeatureDrift f : r.features()) {
            JsonObject bins = new JsonObject();
            f.bins().forEach((k, v) -> bins.put(k, new io.vertx.core.json.JsonArray().add(v[0]).add(v[1])));
            features.add(new JsonObject().put("feature", f.feature()).put("psi", f.rows() == 0 ? null : f.psi())
                    .put("ks", f.ks()).put("level", job.level(f)).put("bins", bins));
        }
        return o.put("features", features);
    }
}
