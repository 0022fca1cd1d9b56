package dev.converge.serve.impl;

import dev.converge.contracts.Violation;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/** One event loop's HTTP server: the REST routes, each handler asynchronous and non-blocking. */
public final class HttpApi extends VerticleBase {
    /** What every instance shares. */
    public record Shared(dev.converge.serve.ServeConfig config, ModelSlot slot, Scoring scoring,
                         PrometheusMeterRegistry metrics, Admin admin, Consumer<Router> extraRoutes,
                         java.util.concurrent.atomic.AtomicInteger inFlight) {}

    /** Model administration, implemented by the server. */
    public interface Admin {
        Future<JsonObject> activate(int version);

        Future<JsonObject> rollback();

        JsonObject readiness();
    }

    private static final Set<String> REQUEST_KEYS = Set.of("entity_id", "features");
    private final Shared shared;
    private HttpServer server;
    private LagProbe lag;

    public HttpApi(Shared shared) {
        this.shared = shared;
    }

    @Override
    public Future<?> start() {
        Router router = router(vertx, shared.extraRoutes());
        lag = new LagProbe(Timer.builder("converge.eventloop.lag").publishPercentileHistogram()
                .register(shared.metrics()), io.micrometer.core.instrument.Counter.builder(
                        "converge.eventloop.blocked").description("ticks late by more than serve.lag_warn_ms")
                .register(shared.metrics()), shared.config().lagWarnMillis(),
                shared.config().resilience().maxLoopLagMillis());
        lag.start(vertx);
        server = vertx.createHttpServer();
        return server.requestHandler(router).listen(shared.config().port(), shared.config().host());
    }

    /** The routes; {@code extraRoutes} (tests only) may add more. */
    public Router router(io.vertx.core.Vertx vertx, Consumer<Router> extraRoutes) {
        Router router = Router.router(vertx);
        MeterRegistry metrics = shared.metrics();
        for (int i = 0; i < SHED_REASONS.length; i++) {
            shed[i] = io.micrometer.core.instrument.Counter.builder("converge.shed").tag("reason", SHED_REASONS[i])
                    .description("requests refused with 503 at admission, by the bound they hit").register(metrics);
        }
        router.route().handler(ctx -> {
            long t0 = System.nanoTime();
            ctx.put("t0", t0);
            ctx.addBodyEndHandler(v -> Timer.builder("http.server.requests")
                    .tag("route", ctx.currentRoute() == null || ctx.currentRoute().getPath() == null ? "unmatched"
                            : ctx.currentRoute().getPath())
                    .tag("status", Integer.toString(ctx.response().getStatusCode()))
                    .publishPercentileHistogram().register(metrics)
                    .record(System.nanoTime() - t0, TimeUnit.NANOSECONDS));
            ctx.next();
        });
        router.route("/v1/*").handler(this::shed);
        router.route().handler(BodyHandler.create(false).setBodyLimit(shared.config().bodyLimitBytes()));
        router.post("/v1/predict").handler(this::predict);
        router.post("/v1/predict/batch").handler(this::batch);
        router.get("/health/live").handler(ctx -> json(ctx, 200, new JsonObject().put("status", "up")));
        router.get("/health/ready").handler(ctx -> {
            JsonObject r = shared.admin().readiness();
            json(ctx, r.getBoolean("ready") ? 200 : 503, r);
        });
        router.get("/metrics").handler(ctx -> ctx.response().putHeader("content-type",
                "text/plain; version=0.0.4; charset=utf-8").end(shared.metrics().scrape()));
        router.get("/openapi.json").handler(ctx -> json(ctx, 200, OpenApi.document()));
        router.post("/admin/models/:version/activate").handler(ctx -> {
            if (authorized(ctx)) {
                int version;
                try {
                    version = Integer.parseInt(ctx.pathParam("version"));
                } catch (NumberFormatException e) {
                    Errors.send(ctx, 400, "bad_version", "version must be an integer, was '"
                            + ctx.pathParam("version") + "'");
                    return;
                }
                admin(ctx, shared.admin().activate(version));
            }
        });
        router.post("/admin/models/rollback").handler(ctx -> {
            if (authorized(ctx)) {
                admin(ctx, shared.admin().rollback());
            }
        });
        if (extraRoutes != null) {
            extraRoutes.accept(router);
        }
        router.errorHandler(413, ctx -> Errors.send(ctx, 413, "body_too_large", "the request body exceeds "
                + shared.config().bodyLimitBytes() + " bytes"));
        router.errorHandler(404, ctx -> Errors.send(ctx, 404, "not_found", "no route for " + ctx.request().method()
                + " " + ctx.request().path()));
        router.errorHandler(405, ctx -> Errors.send(ctx, 405, "method_not_allowed", ctx.request().method()
                + " is not allowed on " + ctx.request().path()));
        router.errorHandler(500, ctx -> Errors.send(ctx, 500, "internal", String.valueOf(ctx.failure())));
        return router;
    }

    /**
     * Beyond the bounds, answer 503 with Retry-After at once rather than let latency grow without limit: too many
     * requests in progress, too many scorings queued, a scoring queued now would wait longer than
     * serve.max_queue_ms, or this event loop has been late by more than serve.max_loop_lag_ms for 100 ms
     * (its backlog is the queue then, for models scored inline).
     */
    private void shed(RoutingContext ctx) {
        dev.converge.serve.Resilience r = shared.config().resilience();
        java.util.concurrent.atomic.AtomicInteger inFlight = shared.inFlight(); // this server's, across its loops
        QueueDelay queue = shared.scoring().queue();
        String why = null;
        int reason = 0;
        if (inFlight.incrementAndGet() > r.maxInFlight()) {
            why = r.maxInFlight() + " requests in progress";
        } else if (queue.queued() > r.maxScoringQueue()) {
            why = queue.queued() + " scorings queued";
            reason = 1;
        } else if (!queue.admits()) {
            why = "a scoring queued now would wait about " + queue.expectedWaitNanos() / 1_000_000 + " ms, over "
                    + r.maxQueueMillis() + " ms";
            reason = 2;
        } else if (lag.lagging()) {
            why = "the event loop is running late by more than " + r.maxLoopLagMillis() + " ms";
            reason = 3;
        }
        if (why != null) {
            inFlight.decrementAndGet();
            shed[reason].increment();
            overloaded(ctx, why);
            return;
        }
        ctx.addEndHandler(v -> inFlight.decrementAndGet());
        ctx.next();
    }

    private static void overloaded(RoutingContext ctx, String why) {
        ctx.response().putHeader("Retry-After", "1");
        Errors.send(ctx, 503, "overloaded", "the server is at capacity (" + why + "); retry after 1 s");
    }

    /** A failed scoring future: 503 when it was dropped for overload, else the router's 500. */
    private static void failed(RoutingContext ctx, Throwable cause) {
        if (cause instanceof QueueDelay.Overloaded o) {
            overloaded(ctx, o.getMessage());
        } else {
            ctx.fail(cause);
        }
    }

    private static final String[] SHED_REASONS = {"in_flight", "queue_length", "queue_wait", "loop_lag"};
    private final io.micrometer.core.instrument.Counter[] shed =
            new io.micrometer.core.instrument.Counter[SHED_REASONS.length];

    /** The active model, or a 503 sent and null when none is verified yet. */
    private ModelHandle activeOr503(RoutingContext ctx) {
        ModelHandle model = shared.slot().active();
        if (model == null) {
            Errors.send(ctx, 503, "not_ready", "no verified model is loaded yet");
        }
        return model;
    }

    private void predict(RoutingContext ctx) {
        ModelHandle model = activeOr503(ctx);
        Object body = model == null ? null : parse(ctx);
        if (body == null) {
            return;
        }
        List<Violation> shape = new ArrayList<>();
        Scoring.Input in = input(body, "", shape);
        if (!shape.isEmpty()) {
            Errors.send(ctx, 400, Errors.body("bad_request", "the request does not have the expected shape", shape));
            return;
        }
        shared.scoring().one(model, in).onComplete(ar -> {
            if (ar.failed()) {
                failed(ctx, ar.cause());
                return;
            }
            Scoring.Result r = ar.result();
            if (!r.violations().isEmpty()) {
                Errors.send(ctx, 422, Errors.body("invalid_features", "the features break model '" + model.name()
                        + "' v" + model.version() + "'s contract" + (in.entityId() != null && !r.entityFound()
                        ? " (entity '" + in.entityId() + "' has no stored features)" : ""), r.violations()));
                return;
            }
            json(ctx, 200, prediction(r, ctx));
        });
    }

    private void batch(RoutingContext ctx) {
        ModelHandle model = activeOr503(ctx);
        Object body = model == null ? null : parse(ctx);
        if (body == null) {
            return;
        }
        if (!(body instanceof JsonObject o) || !(o.getValue("rows") instanceof JsonArray rows) || o.size() != 1) {
            Errors.send(ctx, 400, "bad_request", "the body must be an object with one key, \"rows\": an array");
            return;
        }
        if (rows.isEmpty() || rows.size() > shared.config().batchMaxRows()) {
            Errors.send(ctx, rows.isEmpty() ? 400 : 413, "bad_batch_size", "a batch holds 1.." + shared.config()
                    .batchMaxRows() + " rows, this one has " + rows.size());
            return;
        }
        List<Scoring.Input> inputs = new ArrayList<>();
        List<List<Violation>> shapes = new ArrayList<>();
        for (int i = 0; i < rows.size(); i++) {
            List<Violation> shape = new ArrayList<>();
            Scoring.Input in = input(rows.getValue(i), "rows[" + i + "].", shape);
            shapes.add(shape);
            inputs.add(shape.isEmpty() ? in : null);
        }
        List<Scoring.Input> valid = inputs.stream().filter(java.util.Objects::nonNull).toList();
        shared.scoring().many(model, valid).onComplete(ar -> {
            if (ar.failed()) {
                failed(ctx, ar.cause());
                return;
            }
            JsonArray results = new JsonArray();
            int next = 0;
            int ok = 0;
            for (int i = 0; i < inputs.size(); i++) {
                JsonObject item = new JsonObject().put("index", i);
                if (inputs.get(i) == null) {
                    item.put("ok", false).put("error", "bad_request").put("errors", Errors.violations(shapes.get(i)));
                } else {
                    Scoring.Result r = ar.result().get(next++);
                    if (r.violations().isEmpty()) {
                        item.put("ok", true).mergeIn(prediction(r, null));
                        ok++;
                    } else {
                        item.put("ok", false).put("error", "invalid_features")
                                .put("errors", Errors.violations(r.violations()));
                    }
                }
                results.add(item);
            }
            json(ctx, 200, new JsonObject().put("model", modelJson(model)).put("rows", inputs.size()).put("ok", ok)
                    .put("failed", inputs.size() - ok).put("results", results)
                    .put("latency_ms", elapsedMs(ctx)));
        });
    }

    /** Parses the body as JSON; answers 400 and returns null when it is not. */
    private static Object parse(RoutingContext ctx) {
        Buffer buf = ctx.body().buffer();
        if (buf == null || buf.length() == 0) {
            Errors.send(ctx, 400, "empty_body", "the request body must be a JSON object");
            return null;
        }
        try {
            return Json.decodeValue(buf);
        } catch (DecodeException e) {
            Errors.send(ctx, 400, "malformed_json", "the body is not valid JSON: " + e.getMessage());
            return null;
        }
    }

    /** Checks one request row's shape; adds violations naming the field. */
    @SuppressWarnings("unchecked")
    static Scoring.Input input(Object raw, String prefix, List<Violation> out) {
        if (!(raw instanceof JsonObject o)) {
            out.add(new Violation(prefix.isEmpty() ? "(body)" : prefix.substring(0, prefix.length() - 1), null,
                    "not_an_object", "must be a JSON object with entity_id and/or features"));
            return null;
        }
        for (String k : o.fieldNames()) {
            if (!REQUEST_KEYS.contains(k)) {
                out.add(new Violation(prefix + k, null, "unknown_field", "unknown field '" + k
                        + "'; a request has entity_id and/or features"));
            }
        }
        String entity = null;
        Object id = o.getValue("entity_id");
        if (id instanceof String s && !s.isEmpty() && s.getBytes(StandardCharsets.UTF_8).length <= 128) {
            entity = s;
        } else if (id instanceof Integer || id instanceof Long || id instanceof BigInteger) {
            entity = id.toString();
        } else if (id != null) {
            out.add(new Violation(prefix + "entity_id", String.valueOf(id), "bad_entity_id",
                    "entity_id must be a non-empty string of at most 128 bytes, or an integer"));
        }
        Object f = o.getValue("features");
        Map<String, Object> features = Map.of();
        if (f instanceof JsonObject fo) {
            features = fo.getMap();
        } else if (f != null) {
            out.add(new Violation(prefix + "features", null, "not_an_object", "features must be a JSON object"));
        }
        if (id == null && f == null) {
            out.add(new Violation(prefix + "(row)", null, "empty_request", "give an entity_id, features, or both"));
        }
        return new Scoring.Input(entity, features);
    }

    private static JsonObject prediction(Scoring.Result r, RoutingContext ctx) {
        JsonObject o = new JsonObject().put("prediction", r.prediction().value());
        if (r.prediction().probabilities() != null) {
            o.put("probabilities", new JsonObject(new java.util.LinkedHashMap<>(r.prediction().probabilities())));
        }
        if (ctx != null) {
            o.put("model", modelJson(r.model())).put("latency_ms", elapsedMs(ctx));
        }
        o.put("cached", r.cached()).put("degraded", r.degraded() != null);
        if (r.degraded() != null) {
            o.put("degraded_reason", r.degraded());
        }
        return o;
    }

    private static JsonObject modelJson(ModelHandle m) {
        return new JsonObject().put("name", m.name()).put("version", m.version());
    }

    private static double elapsedMs(RoutingContext ctx) {
        Long t0 = ctx.get("t0");
        return t0 == null ? 0 : Math.round((System.nanoTime() - t0) / 1e3) / 1e3;
    }

    private boolean authorized(RoutingContext ctx) {
        String token = shared.config().adminToken();
        if (token == null) {
            Errors.send(ctx, 403, "admin_disabled", "admin routes are disabled: no serve.admin_token is configured");
            return false;
        }
        String header = ctx.request().getHeader("Authorization");
        String given = header != null && header.startsWith("Bearer ") ? header.substring(7) : "";
        if (!MessageDigest.isEqual(given.getBytes(StandardCharsets.UTF_8), token.getBytes(StandardCharsets.UTF_8))) {
            Errors.send(ctx, 401, "unauthorized", "a valid bearer token is required");
            return false;
        }
        return true;
    }

    private static void admin(RoutingContext ctx, Future<JsonObject> f) {
        f.onComplete(ar -> {
            if (ar.succeeded()) {
                json(ctx, 200, ar.result());
            } else if (ar.cause() instanceof ModelLoader.RefusedModel refused) {
                Errors.send(ctx, refused.getMessage().contains("has no version") ? 404 : 409, "model_refused",
                        refused.getMessage());
            } else if (ar.cause() instanceof IllegalStateException e) {
                Errors.send(ctx, 409, "conflict", e.getMessage());
            } else {
                Errors.send(ctx, 409, "model_refused", String.valueOf(ar.cause().getMessage()));
            }
        });
    }

    private static void json(RoutingContext ctx, int status, JsonObject body) {
        Errors.send(ctx, status, body);
    }

    @Override
    public Future<?> stop() {
        return server == null ? Future.succeededFuture() : server.close();
    }
}
