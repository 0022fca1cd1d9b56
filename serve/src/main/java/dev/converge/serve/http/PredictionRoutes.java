package dev.converge.serve.http;

import dev.converge.serve.predict.BatchOutcome;
import dev.converge.serve.predict.PredictionOutcome;
import dev.converge.serve.predict.PredictionService;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import java.util.function.Consumer;

/**
 * The REST prediction routes: HTTP only. Read the body as JSON, hand it to the {@link PredictionService}, and map
 * its outcome to a status and a body ({@link PredictionJson}).
 */
final class PredictionRoutes {
    private final PredictionService defaultService;
    private final java.util.function.Function<String, java.util.Optional<PredictionService>> byName;
    private final java.util.function.Supplier<List<String>> names;
    private final long shedDelayMillis;

    PredictionRoutes(PredictionService defaultService,
                     java.util.function.Function<String, java.util.Optional<PredictionService>> byName,
                     java.util.function.Supplier<List<String>> names, long shedDelayMillis) {
        this.defaultService = defaultService;
        this.byName = byName;
        this.names = names;
        this.shedDelayMillis = shedDelayMillis;
    }

    void mount(Router router) {
        router.post("/v1/predict").handler(ctx -> Responses.withJsonBody(ctx, body -> chosen(ctx, body,
                (s, b) -> predict(ctx, s, b))));
        router.post("/v1/predict/batch").handler(ctx -> Responses.withJsonBody(ctx, body -> chosen(ctx, body,
                (s, b) -> batch(ctx, s, b))));
        router.post("/v1/models/:name/predict").handler(ctx -> named(ctx, s -> Responses.withJsonBody(ctx,
                body -> predict(ctx, s, body))));
        router.post("/v1/models/:name/predict/batch").handler(ctx -> named(ctx, s -> Responses.withJsonBody(ctx,
                body -> batch(ctx, s, body))));
    }

    /**
     * The model a {@code /v1/predict} body names in {@code "model"}, or the one served: with several served, a body
     * that names none is refused naming them (the server does not choose for the caller).
     */
    private void chosen(RoutingContext ctx, Object body, java.util.function.BiConsumer<PredictionService, Object> then) {
        Object model = body instanceof JsonObject o ? o.getValue("model") : null;
        if (model == null) {
            List<String> served = names.get();
            if (served.size() > 1 && !(body instanceof JsonObject o && o.containsKey("model"))) {
                Responses.json(ctx, 400, PredictionJson.error("model_required", "this server serves " + served.size()
                        + " models " + served + ": name one with \"model\" in the body, or POST"
                        + " /v1/models/{name}/predict", List.of(new dev.converge.contracts.Violation("model", null,
                        "model_required", "one of " + served))));
                return;
            }
            if (body instanceof JsonObject o && o.containsKey("model")) { // "model": null
                Responses.json(ctx, 400, PredictionJson.error("bad_request", "\"model\" must name a served model,"
                        + " was null", List.of(new dev.converge.contracts.Violation("model", null, "wrong_type",
                        "\"model\" must be a string, one of " + served))));
                return;
            }
            then.accept(defaultService, body);
            return;
        }
        if (!(model instanceof String name)) {
            Responses.json(ctx, 400, PredictionJson.error("bad_request", "\"model\" must be a model's name (a string)",
                    List.of(new dev.converge.contracts.Violation("model", String.valueOf(model), "wrong_type",
                    "\"model\" must be a string, one of " + names.get()))));
            return;
        }
        java.util.Optional<PredictionService> s = byName.apply(name);
        if (s.isEmpty()) {
            Responses.json(ctx, 404, PredictionJson.error("unknown_model", "model '" + name + "' is not served here;"
                    + " served: " + names.get(), List.of(new dev.converge.contracts.Violation("model", name,
                    "unknown_model", "served: " + names.get()))));
            return;
        }
        JsonObject rest = ((JsonObject) body).copy();
        rest.remove("model");
        then.accept(s.get(), rest);
    }

    /** The service of the model the path names, or 404 naming the models served. */
    private void named(RoutingContext ctx, Consumer<PredictionService> then) {
        String name = ctx.pathParam("name");
        java.util.Optional<PredictionService> s = byName.apply(name);
        if (s.isEmpty()) {
            Responses.error(ctx, 404, "unknown_model", "model '" + name + "' is not served here; served: "
                    + names.get());
            return;
        }
        then.accept(s.get());
    }

    private void predict(RoutingContext ctx, PredictionService service, Object body) {
        answer(ctx, service.predict(body), o -> {
            if (o instanceof PredictionOutcome.Scored || o instanceof PredictionOutcome.Degraded) {
                Responses.json(ctx, 200, PredictionJson.answerText(o, elapsedMs(ctx)));
            } else if (o instanceof PredictionOutcome.Invalid i) {
                Responses.json(ctx, 422, PredictionJson.error("invalid_features", "the features break model '"
                        + i.model().name() + "' v" + i.model().version() + "'s contract" + (i.entityId() != null
                        && !i.entityFound() ? " (entity '" + i.entityId() + "' has no stored features)" : ""),
                        i.violations()));
            } else if (o instanceof PredictionOutcome.UnknownEntity u) {
                Responses.json(ctx, 404, PredictionJson.error("unknown_entity", PredictionJson.unknownEntity(u)
                        .message(), List.of(PredictionJson.unknownEntity(u))));
            } else if (o instanceof PredictionOutcome.Malformed m) {
                Responses.json(ctx, 400, PredictionJson.error("bad_request",
                        "the request does not have the expected shape", m.violations()));
            } else {
                refused(ctx, o);
            }
        });
    }

    private void batch(RoutingContext ctx, PredictionService service, Object body) {
        if (!(body instanceof JsonObject o) || !(o.getValue("rows") instanceof JsonArray rows) || o.size() != 1) {
            Responses.error(ctx, 400, "bad_request", "the body must be an object with one key, \"rows\": an array"
                    + " (and \"model\" when several models are served)");
            return;
        }
        answer(ctx, service.predictBatch(rows.getList()), outcome -> {
            if (outcome instanceof BatchOutcome.Rows r) {
                JsonArray results = new JsonArray();
                int ok = 0;
                for (int i = 0; i < r.rows().size(); i++) {
                    JsonObject item = PredictionJson.batchItem(i, r.rows().get(i));
                    ok += item.getBoolean("ok") ? 1 : 0;
                    results.add(item);
                }
                Responses.json(ctx, 200, new JsonObject().put("model", PredictionJson.model(r.model()))
                        .put("rows", r.rows().size()).put("ok", ok).put("failed", r.rows().size() - ok)
                        .put("results", results).put("latency_ms", elapsedMs(ctx)));
            } else if (outcome instanceof BatchOutcome.BadSize b) {
                Responses.error(ctx, b.size() == 0 ? 400 : 413, "bad_batch_size", "a batch holds 1.." + b.max()
                        + " rows, this one has " + b.size());
            } else {
                refused(ctx, ((BatchOutcome.Refused) outcome).why());
            }
        });
    }

    /** 503 for a request refused as a whole: shed for overload, or no model loaded yet. */
    private void refused(RoutingContext ctx, PredictionOutcome o) {
        if (o instanceof PredictionOutcome.Shed s) {
            Responses.overloaded(ctx, s.detail(), shedDelayMillis);
        } else if (o instanceof PredictionOutcome.NotReady n) {
            Responses.error(ctx, 503, "not_ready", n.reason());
        } else {
            ctx.fail(new IllegalStateException("unexpected outcome " + o));
        }
    }

    /** Completes with the outcome, or fails the request (the router's 500) when the service failed. */
    private static <T> void answer(RoutingContext ctx, Future<T> f, Consumer<T> onOutcome) {
        f.onComplete(ar -> {
            if (ar.succeeded()) {
                onOutcome.accept(ar.result());
            } else {
                ctx.fail(ar.cause());
            }
        });
    }

    static double elapsedMs(RoutingContext ctx) {
        Long t0 = ctx.get("t0");
        return t0 == null ? 0 : Math.round((System.nanoTime() - t0) / 1e3) / 1e3;
    }
}
