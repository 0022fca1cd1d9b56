package dev.converge.serve.runtime;

import dev.converge.registry.ModelRegistry;
import dev.converge.serve.model.Readiness;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.pubsub.PgSubscriber;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The models one server serves, by name ({@code serve.models}), each with its own runtime: slot, loads and swaps,
 * deployment, champion follower, readiness and prediction path, on common scoring workers, pools, cache and
 * admission. The first is the default: {@code /v1/predict}, GraphQL, the dashboard, drift and the admin routes are
 * its. The registry's channel is subscribed to once, and each notice handed to every model's follower.
 */
public final class ModelSet {
    private static final Logger LOG = LoggerFactory.getLogger(ModelSet.class);

    private final Map<String, ModelRuntime> byName = new LinkedHashMap<>();
    private final ModelRuntime first;

    public ModelSet(List<ModelRuntime> runtimes) {
        if (runtimes.isEmpty()) {
            throw new IllegalArgumentException("a server serves at least one model");
        }
        runtimes.forEach(r -> byName.put(r.name(), r));
        this.first = runtimes.get(0);
    }

    /** The default model's runtime (the first of serve.models). */
    public ModelRuntime defaultModel() {
        return first;
    }

    public Optional<ModelRuntime> find(String name) {
        return Optional.ofNullable(byName.get(name));
    }

    public List<String> names() {
        return List.copyOf(byName.keySet());
    }

    public Collection<ModelRuntime> all() {
        return byName.values();
    }

    /**
     * Subscribes to the registry's channel for every model (notices sent while the subscriber reconnected are lost,
     * so every (re)subscription re-reads every champion) and starts every runtime; completes when every first load
     * has ended, loaded or not.
     */
    public Future<Void> start(PgSubscriber subscriber, long latencyEveryMillis) {
        subscriber.channel(ModelRegistry.CHANNEL).subscribeHandler(v -> byName.values().forEach(r -> r.champion()
                .follow("subscribed to " + ModelRegistry.CHANNEL))).handler(payload -> byName.values()
                .forEach(r -> r.champion().notice(payload)));
        List<Future<Void>> first = new ArrayList<>();
        byName.values().forEach(r -> first.add(r.start(latencyEveryMillis)));
        subscriber.connect().onFailure(e -> LOG.warn("LISTEN {} failed: {}; champions are re-read every {} s until"
                + " it connects", ModelRegistry.CHANNEL, e.getMessage(), ChampionFollower.POLL_MILLIS / 1000));
        return Future.join(first).transform(ar -> Future.succeededFuture());
    }

    /** The server's readiness: the default model's, unless another model is not ready (then that one's reason). */
    public Readiness readiness() {
        for (ModelRuntime r : byName.values()) {
            Readiness each = r.readiness();
            if (!each.ready() && r != first) {
                return Readiness.notReady("model '" + r.name() + "': " + each.reason());
            }
        }
        return first.readiness();
    }

    /** Every model's readiness, for /health/ready. */
    public JsonObject describe() {
        JsonObject o = new JsonObject();
        byName.values().forEach(r -> {
            Readiness each = r.readiness();
            o.put(r.name(), each.ready() ? new JsonObject().put("ready", true).put("version", each.version())
                    : new JsonObject().put("ready", false).put("reason", each.reason()));
        });
        return o;
    }

    public void close() {
        byName.values().forEach(ModelRuntime::close);
    }
}
