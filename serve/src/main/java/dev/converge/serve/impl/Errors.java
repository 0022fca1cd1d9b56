package dev.converge.serve.impl;

import dev.converge.contracts.Violation;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.List;

/** Machine-readable error bodies: {@code {"error": code, "message": ..., "errors": [{field, reason, message}]}}. */
final class Errors {
    private Errors() {}

    static JsonObject body(String code, String message, List<Violation> violations) {
        JsonObject o = new JsonObject().put("error", code).put("message", message);
        if (violations != null && !violations.isEmpty()) {
            o.put("errors", violations(violations));
        }
        return o;
    }

    static JsonArray violations(List<Violation> violations) {
        JsonArray a = new JsonArray();
        for (Violation v : violations) {
            a.add(new JsonObject().put("field", v.feature()).put("reason", v.reason()).put("message", v.message()));
        }
        return a;
    }

    static void send(RoutingContext ctx, int status, String code, String message) {
        send(ctx, status, body(code, message, null));
    }

    static void send(RoutingContext ctx, int status, JsonObject body) {
        if (ctx.response().ended()) {
            return;
        }
        ctx.response().setStatusCode(status).putHeader("content-type", "application/json").end(body.encode());
    }
}
