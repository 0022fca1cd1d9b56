package dev.converge.serve.runtime;

import dev.converge.serve.alerts.Alerts;
import dev.converge.serve.experiment.DeploymentFollower;
import dev.converge.serve.model.ModelHandle;
import dev.converge.serve.model.ModelLoader;
import dev.converge.serve.model.ModelSlot;
import dev.converge.serve.model.Readiness;
import dev.converge.serve.module.ModelAdmin;
import dev.converge.serve.monitor.DriftSchedule;
import dev.converge.serve.monitor.PredictionLog;
import dev.converge.serve.path.PredictionPath;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One served model at run time: its slot (the active version and the one before), the loads and swaps that change
 * it, its deployment's challengers, the follower that keeps it on the registry's champion, the warm-up before the
 * first traffic and the readiness it reports. It is also the {@link ModelAdmin} the admin routes call. A server
 * holds one per served model, in a {@link ModelSet}; {@code drift} is null for all but the default model.
 */
public final class ModelRuntime implements ModelAdmin {
    private static final Logger LOG = LoggerFactory.getLogger(ModelRuntime.class);

    private final String name;
    private final Vertx vertx;
    private final WorkerExecutor loader;
    private final ModelLoader modelLoader;
    private final ModelSlot slot;
    private final PredictionPath path;
    private final DriftSchedule drift;
    private final Alerts alerts;
    private final PredictionLog predictionLog;
    private final MeterRegistry metrics;
    private final DeploymentFollower deployments;
    private final ChampionFollower champion;
    private final List<Consumer<ModelHandle>> changeListeners = new CopyOnWriteArrayList<>();
    private final AtomicReference<String> notReadyReason = new AtomicReference<>(Readiness.LOADING);
    private volatile boolean warmedUp;
    private Gauge modelInfo;

    /** The parts a runtime is made of; the server builds them (they are shared with the prediction path). */
    public record Parts(Vertx vertx, WorkerExecutor loader, ModelLoader modelLoader, ModelSlot slot,
                        PredictionPath path, DriftSchedule drift, Alerts alerts, PredictionLog predictionLog,
                        MeterRegistry metrics) {
    }

    public ModelRuntime(String name, Parts parts) {
        this.name = name;
        this.vertx = parts.vertx();
        this.loader = parts.loader();
        this.modelLoader = parts.modelLoader();
        this.slot = parts.slot();
        this.path = parts.path();
        this.drift = parts.drift();
        this.alerts = parts.alerts();
        this.predictionLog = parts.predictionLog();
        this.metrics = parts.metrics();
        this.champion = new ChampionFollower(this, vertx);
        this.deployments = new DeploymentFollower(name, loader, modelLoader, alerts, path.canaryJudge(),
                slot::active, path::deploy, () -> champion.follow("canary decision"));
    }

    /** Called with the new active model on every load, swap and rollback (the server's modules listen). */
    public void onModelChanged(Consumer<ModelHandle> listener) {
        changeListeners.add(listener);
    }

    /**
     * Loads the champion, follows the deployment and the registry from then on, judges canaries every second and the
     * model's latency every {@code latencyEveryMillis}.
     * Completes when the first load has ended, loaded or not: a champion that cannot be loaded leaves the runtime not
     * ready, with the reason.
     */
    public Future<Void> start(long latencyEveryMillis) {
        Future<Void> first = activate(null).onSuccess(a -> champion.followed(a.getInteger("active")))
                .onFailure(e -> {
                    notReadyReason.set(e.getMessage());
                    LOG.error("no model loaded: {}", e.getMessage());
                }).transform(ar -> Future.succeededFuture());
        first.onComplete(ar -> deployments.follow("start"));
        champion.polling(true);
        vertx.setPeriodic(1000, 1000, id -> deployments.judgeCanary());
        vertx.setPeriodic(latencyEveryMillis, latencyEveryMillis, id -> {
            if (slot.active() != null) {
                path.latency().evaluate(name);
            }
        });
        return first;
    }

    public String name() {
        return name;
    }

    public ModelHandle active() {
        return slot.active();
    }

    public ChampionFollower champion() {
        return champion;
    }

    DeploymentFollower deployments() {
        return deployments;
    }

    Future<Optional<Integer>> championVersion() {
        return loader.executeBlocking(() -> modelLoader.championVersion(name), true);
    }

    /** Loads, verifies and warms a version (the champion when null) beside the active one, then swaps. */
    @Override
    public Future<JsonObject> activate(int version) {
        return activate(Integer.valueOf(version));
    }

    Future<JsonObject> activate(Integer version) {
        long t0 = System.nanoTime();
        return loader.executeBlocking(() -> modelLoader.load(name, version), true).onFailure(e ->
                alerts.fire("model_refused/" + name, "critical", "model '" + name + "' "
                        + (version == null ? "champion" : "v" + version) + " was refused at load: " + e.getMessage(),
                        Map.of("model", name, "version", version == null ? "champion" : version.toString())))
                .map(next -> {
                    alerts.resolve("model_refused/" + name, "model '" + name + "' v" + next.version()
                            + " loaded and verified");
                    ModelHandle before = slot.active();
                    slot.activate(next);
                    changed(next);
                    if (warmedUp) {
                        notReadyReason.set(null);
                    }
                    LOG.info("serving {} v{} ({}; p90 {} us per row, scoring {}; cache {})", next.name(),
                            next.version(), next.algorithm(), next.p90Micros(), next.inline() ? "inline"
                                    : "on workers", path.cacheDecision(next));
                    return new JsonObject().put("active", next.version())
                            .put("previous", before == null ? null : before.version())
                            .put("scoring", next.inline() ? "inline" : "worker").put("p90_us", next.p90Micros())
                            .put("cache", path.cacheDecision(next))
                            .put("swap_ms", (System.nanoTime() - t0) / 1e6);
                }).compose(answer -> warmedUp ? Future.succeededFuture(answer) : warmUp().map(answer));
    }

    @Override
    public Future<JsonObject> rollback() {
        ModelHandle back = slot.rollback();
        if (back == null) {
            return Future.failedFuture(new IllegalStateException("there is no previous model to roll back to"));
        }
        changed(back);
        LOG.info("rolled back to {} v{}", back.name(), back.version());
        return Future.succeededFuture(new JsonObject().put("active", back.version())
                .put("previous", slot.previous().version()));
    }

    private void changed(ModelHandle active) {
        path.modelChanged(active.p90Micros() * 1000);
        changeListeners.forEach(l -> l.accept(active));
        publishModelInfo(active);
    }

    /** converge_model_info{name, version} = 1 for the active version only. */
    private synchronized void publishModelInfo(ModelHandle m) {
        if (modelInfo != null) {
            metrics.remove(modelInfo);
        }
        modelInfo = Gauge.builder("converge.model.info", () -> 1).tag("name", m.name())
                .tag("version", Integer.toString(m.version())).register(metrics);
    }

    /**
     * The first model's warm-up, before the runtime says it is ready (issue: the first requests to a fresh server
     * ran into its JIT and stalled). About half a second; what it cost is logged.
     */
    private Future<JsonObject> warmUp() {
        ModelHandle m = slot.active();
        notReadyReason.set(Readiness.WARMING);
        long t0 = System.nanoTime();
        return path.warmUp(m, 500, 20_000).map(v -> {
            warmedUp = true;
            predictionLog.accept();
            notReadyReason.set(null);
            LOG.info("prediction path warmed up in {} ms", (System.nanoTime() - t0) / 1_000_000);
            return new JsonObject();
        });
    }

    /** Whether the model takes traffic, and with which version, or why not. */
    @Override
    public Readiness readiness() {
        ModelHandle m = slot.active();
        if (m != null && warmedUp && !deployments.followed()) {
            return Readiness.notReady(Readiness.CHALLENGERS);
        }
        return m == null || !warmedUp ? Readiness.notReady(notReadyReason.get())
                : Readiness.ready(m.name(), m.version(), m.inline(), m.p90Micros(), path.cacheDecision(m));
    }

    /**
     * Completes with the readiness once the first load has ended (verified, or refused with its reason), or after
     * {@code timeout} with the readiness then; never fails.
     */
    public Future<Readiness> awaitReady(Duration timeout) {
        Promise<Readiness> done = Promise.promise();
        long deadline = System.nanoTime() + timeout.toNanos();
        vertx.setPeriodic(0, 20, id -> {
            Readiness r = readiness();
            if (!r.loading() || System.nanoTime() >= deadline) {
                vertx.cancelTimer(id);
                done.tryComplete(r);
            }
        });
        return done.future();
    }

    /** What this replica serves of the model, for the dashboard: readiness, and the deployment as routed. */
    public JsonObject servedJson() {
        Readiness r = readiness();
        JsonObject o = new JsonObject().put("ready", r.ready()).put("reason", r.reason());
        ModelHandle m = slot.active();
        if (m != null) {
            o.put("champion", new JsonObject().put("version", m.version()).put("algorithm", m.algorithm())
                    .put("scoring", m.inline() ? "inline" : "worker").put("p90_us", m.p90Micros())
                    .put("cache", path.cacheDecision(m)));
        }
        return o.put("deployment", path.servedDeployment());
    }

    @Override
    public Future<JsonObject> driftNow(int windowMinutes) {
        if (drift == null) {
            return Future.failedFuture(new IllegalStateException("drift is computed for the server's default model"
                    + " only, not '" + name + "' (issue 29 goes on)"));
        }
        return drift.runNow(windowMinutes);
    }

    /** This model's prediction path. */
    public PredictionPath path() {
        return path;
    }

    @Override
    public Future<JsonObject> promote(int version, String actor, String reason) {
        return loader.executeBlocking(() -> modelLoader.registry().promote(name, version, actor, reason), true)
                .map(e -> new JsonObject().put("model", e.name()).put("version", e.version())
                        .put("event", e.type().wireName()).put("actor", e.actor()).put("reason", e.reason()));
    }

    @Override
    public Future<JsonObject> setShare(int version, double share, String actor, String reason) {
        return deployments.setShare(version, share, actor, reason);
    }

    public void close() {
        champion.close();
        path.close();
    }
}
