package dev.converge.serve.module;

import dev.converge.serve.model.Readiness;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

/** Model administration and readiness, as the admin routes call them; implemented by {@link ModelRuntime}. */
public interface ModelAdmin {
    Future<JsonObject> activate(int version);

    Future<JsonObject> rollback();

    Readiness readiness();

    /** Runs the drift job now for the active model over the last {@code windowMinutes}; the report as JSON. */
    Future<JsonObject> driftNow(int windowMinutes);

    /** Promotes {@code version} to champion in the registry (every replica follows); the event as JSON. */
    Future<JsonObject> promote(int version, String actor, String reason);

    /** Sets the share of an experiment's challenger {@code version} in the registry; the new deployment as JSON. */
    Future<JsonObject> setShare(int version, double share, String actor, String reason);
}
