package dev.converge.serve.impl;

import dev.converge.serve.Readiness;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

/** Model administration and readiness, implemented by the server. */
public interface ModelAdmin {
    Future<JsonObject> activate(int version);

    Future<JsonObject> rollback();

    Readiness readiness();

    /** Runs the drift job now for the active model over the last {@code windowMinutes}; the report as JSON. */
    Future<JsonObject> driftNow(int windowMinutes);
}
