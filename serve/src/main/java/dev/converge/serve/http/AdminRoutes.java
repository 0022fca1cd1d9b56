package dev.converge.serve.http;

import dev.converge.serve.access.AccessControl;
import dev.converge.serve.access.Principal;
import dev.converge.serve.module.ModelAdmin;
import dev.converge.model.ModelRefusedException;
import dev.converge.serve.resilience.Failures;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * The admin routes: a key with scope {@code admin} (AccessControl), or the server's bearer token (serve.admin_token;
 * refused when none is set), then activate, roll back, promote, set shares, run drift.
 */
final class AdminRoutes {
    private final ModelAdmin admin;
    private final String token;

    AdminRoutes(ModelAdmin admin, String token) {
        this.admin = admin;
        this.token = token;
    }

    void mount(Router router) {
        router.post("/admin/models/:version/activate").handler(ctx -> {
            if (authorized(ctx)) {
                int version;
                try {
                    version = Integer.parseInt(ctx.pathParam("version"));
                } catch (NumberFormatException e) {
                    Responses.error(ctx, 400, "bad_version", "version must be an integer, was '"
                            + ctx.pathParam("version") + "'");
                    return;
                }
                answer(ctx, admin.activate(version));
            }
        });
        router.post("/admin/drift/run").handler(ctx -> {
            if (authorized(ctx)) {
                String w = ctx.request().getParam("window_minutes");
                int window;
                try {
                    window = w == null ? 60 : Integer.parseInt(w);
                } catch (NumberFormatException e) {
                    window = -1;
                }
                if (window < 1) {
                    Responses.error(ctx, 400, "bad_window", "window_minutes must be a positive integer, was '" + w
                            + "'");
                    return;
                }
                admin.driftNow(window).onComplete(ar -> {
                    if (ar.succeeded()) {
                        Responses.json(ctx, 200, ar.result());
                    } else {
                        Responses.error(ctx, 503, "drift_failed", "the drift run failed: " + Failures.describe(
                                ar.cause()));
                    }
                });
            }
        });
        router.post("/admin/models/rollback").handler(ctx -> {
            if (authorized(ctx)) {
                answer(ctx, admin.rollback());
            }
        });
        router.post("/admin/registry/promote").handler(ctx -> {
            if (authorized(ctx)) {
                Responses.withJsonBody(ctx, body -> {
                    Integer version = body instanceof JsonObject o && o.getValue("version") instanceof Integer v
                            && v > 0 ? v : null;
                    if (version == null) {
                        Responses.error(ctx, 400, "bad_version", "version must be a positive integer");
                        return;
                    }
                    answer(ctx, admin.promote(version, "admin api", reason((JsonObject) body, "promoted from the"
                            + " admin API")));
                });
            }
        });
        router.post("/admin/experiment/share").handler(ctx -> {
            if (authorized(ctx)) {
                Responses.withJsonBody(ctx, body -> {
                    JsonObject o = body instanceof JsonObject j ? j : new JsonObject();
                    Integer version = o.getValue("version") instanceof Integer v && v > 0 ? v : null;
                    Double share = o.getValue("share") instanceof Number n ? n.doubleValue() : null;
                    if (version == null || share == null || !(share >= 0 && share <= 1)) {
                        Responses.error(ctx, 400, "bad_share", "give version (a positive integer, a challenger)"
                                + " and share (a number from 0 to 1)");
                        return;
                    }
                    answer(ctx, admin.setShare(version, share, "admin api", reason(o, "share set from the admin"
                            + " API")));
                });
            }
        });
    }

    private static String reason(JsonObject body, String otherwise) {
        return body.getValue("reason") instanceof String r && !r.isBlank() ? r : otherwise;
    }

    private boolean authorized(RoutingContext ctx) {
        Principal who = ctx.get(AccessControl.PRINCIPAL);
        if (who != null && who.has("admin")) {
            return true; // a key with scope admin, checked by AccessControl
        }
        if (token == null) {
            Responses.error(ctx, 403, "admin_disabled", "admin routes are disabled: no serve.admin_token is configured");
            return false;
        }
        String header = ctx.request().getHeader("Authorization");
        String given = header != null && header.startsWith("Bearer ") ? header.substring(7) : "";
        if (!MessageDigest.isEqual(given.getBytes(StandardCharsets.UTF_8), token.getBytes(StandardCharsets.UTF_8))) {
            Responses.error(ctx, 401, "unauthorized", "a valid bearer token is required");
            return false;
        }
        return true;
    }

    private static void answer(RoutingContext ctx, Future<JsonObject> f) {
        f.onComplete(ar -> {
            if (ar.succeeded()) {
                Responses.json(ctx, 200, ar.result());
            } else if (ar.cause() instanceof ModelRefusedException refused) {
                Responses.error(ctx, refused.reason() == ModelRefusedException.Reason.NOT_FOUND ? 404 : 409,
                        refused.code(), refused.getMessage());
            } else if (ar.cause() instanceof IllegalStateException e) {
                Responses.error(ctx, 409, "conflict", e.getMessage());
            } else if (ar.cause() instanceof IllegalArgumentException e) {
                Responses.error(ctx, 400, "refused", e.getMessage());
            } else {
                Responses.error(ctx, 409, "model_refused", String.valueOf(ar.cause().getMessage()));
            }
        });
    }
}
