package dev.converge.serve.experiment;

import dev.converge.registry.Deployment;
import dev.converge.serve.alerts.Alerts;
import dev.converge.serve.model.ModelHandle;
import dev.converge.serve.model.ModelLoader;
import io.vertx.core.Future;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves a model's deployment as the registry records it: loads and verifies its challengers (one refused is left out,
 * with an alert), hands the deployment to the prediction path, judges a canary once a second and writes its step or
 * rollback back to the registry, and sets a challenger's share for the admin route. Runs on the model loader's thread.
 */
public final class DeploymentFollower {
    private static final Logger LOG = LoggerFactory.getLogger(DeploymentFollower.class);

    private final String model;
    private final WorkerExecutor loader;
    private final ModelLoader modelLoader;
    private final Alerts alerts;
    private final CanaryJudge canary;
    private final Supplier<ModelHandle> active;
    private final BiConsumer<Deployment, Map<Integer, ModelHandle>> deploy;
    private final Runnable followChampion;

    /**
     * @param deploy         hands the deployment and its loaded challengers to the prediction path
     * @param followChampion asks the server to re-read the champion (after a canary's decision)
     */
    public DeploymentFollower(String model, WorkerExecutor loader, ModelLoader modelLoader, Alerts alerts,
                              CanaryJudge canary, Supplier<ModelHandle> active,
                              BiConsumer<Deployment, Map<Integer, ModelHandle>> deploy, Runnable followChampion) {
        this.model = model;
        this.loader = loader;
        this.modelLoader = modelLoader;
        this.alerts = alerts;
        this.canary = canary;
        this.active = active;
        this.deploy = deploy;
        this.followChampion = followChampion;
    }

    /** Whether the deployment has been read once (a replica is not ready before it routes like the others). */
    public boolean followed() {
        return deploymentFollowed;
    }

    /** Challengers loaded for the deployment being served, by version (the loader thread's only). */
    private java.util.Map<Integer, ModelHandle> challengers = java.util.Map.of();
    private volatile boolean deploymentFollowed;
    private volatile boolean deploymentsMissing;

    /**
     * Reads the model's deployment and serves it: challengers not yet loaded are loaded and verified like any model
     * (one refused is left out, with an alert), those no longer deployed are released. On the loader's thread, after
     * the champion, so a replica started during an experiment routes like the others before it says it is ready.
     */
    public Future<Void> follow(String why) {
        return loader.executeBlocking(() -> {
            dev.converge.registry.Deployment d;
            try {
                d = modelLoader.deployment(model);
                deploymentsMissing = false;
            } catch (java.sql.SQLException e) {
                if (!"42P01".equals(e.getSQLState())) {
                    throw e;
                }
                if (!deploymentsMissing) {
                    LOG.warn("the registry has no model_deployments table (run 'converge migrate'): the champion"
                            + " takes every request");
                }
                deploymentsMissing = true;
                d = dev.converge.registry.Deployment.none(model);
            }
            java.util.Map<Integer, ModelHandle> loaded = new java.util.HashMap<>();
            for (dev.converge.registry.Deployment.Challenger c : d.challengers()) {
                ModelHandle have = challengers.get(c.version());
                if (have == null) {
                    try {
                        have = modelLoader.load(model, c.version());
                        LOG.info("loaded challenger {} v{} ({}, {} of the traffic, p90 {} us per row)", model,
                                c.version(), c.mode().wireName(), c.share(), have.p90Micros());
                    } catch (Exception e) {
                        LOG.error("challenger v{} refused: {}", c.version(), e.getMessage());
                        alerts.fire("model_refused/" + model + "/v" + c.version(), "critical", "challenger"
                                + " v" + c.version() + " of '" + model + "' was refused at load: "
                                + e.getMessage(), java.util.Map.of("model", model, "version", c.version()));
                        continue;
                    }
                }
                loaded.put(c.version(), have);
            }
            challengers = loaded;
            deploy.accept(d, loaded);
            return null;
        }, true).<Void>mapEmpty().onComplete(ar -> {
            deploymentFollowed = true;
            if (ar.failed()) {
                LOG.warn("could not follow the deployment of {} ({}): {}", model, why, ar.cause().getMessage());
            }
        });
    }

    /** Once a second: a canary's step or rollback, written to the registry if the deployment is still the one judged. */
    public void judgeCanary() {
        CanaryJudge.Decision decision = canary.judge(active.get(), System.currentTimeMillis());
        if (decision == null) {
            return;
        }
        dev.converge.registry.Deployment from = decision.from();
        loader.executeBlocking(() -> modelLoader.registry().deploy(model, from.replacing(decision.changed()),
                from.allowPinning(), "canary", decision.reason(), from.id()), true).onSuccess(written -> {
                    if (written.isEmpty()) {
                        return; // changed since: judged again on the new deployment
                    }
                    LOG.warn("{}", decision.reason());
                    if (decision.rollback()) {
                        alerts.fire("canary/" + model + "/v" + decision.changed().version(), "warning",
                                decision.reason(), java.util.Map.of("model", model, "version",
                                        decision.changed().version()));
                    }
                    followChampion.run();
                }).onFailure(e -> LOG.error("canary decision not written ({}): {}", decision.reason(), e.getMessage()));
    }

    /** Sets the share of challenger {@code version} in the registry (every replica follows); the deployment as JSON. */
    public Future<JsonObject> setShare(int version, double share, String actor, String reason) {
        return loader.executeBlocking(() -> {
            dev.converge.registry.ModelRegistry registry = modelLoader.registry();
            dev.converge.registry.Deployment d = registry.deployment(model);
            dev.converge.registry.Deployment.Challenger c = d.challenger(version).orElseThrow(() ->
                    new IllegalArgumentException("v" + version + " is not a challenger of '" + model
                            + "' (start an experiment first: converge experiment start)"));
            return registry.deploy(model, d.replacing(c.withShare(share)), d.allowPinning(), actor,
                    reason, d.id()).orElseThrow(() -> new IllegalStateException("the deployment changed"
                    + " meanwhile; read it again"));
        }, true).map(d -> new JsonObject().put("deployment", d.id()).put("challengers",
                new io.vertx.core.json.JsonArray(d.challengers().stream().map(c -> new JsonObject()
                        .put("version", c.version()).put("mode", c.mode().wireName()).put("share", c.share()))
                        .toList())));
    }
}
