package dev.converge.serve.oip;

import dev.converge.serve.http.Responses;
import dev.converge.serve.module.ServeModule;
import io.vertx.core.Vertx;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * The Open Inference Protocol's REST data plane (KServe's "V2"): server liveness, readiness and metadata, each served
 * model's metadata and readiness, and inference, at {@code /v2/...}, so that a client written for KServe, Triton or
 * MLServer calls converge by changing its URL. Inference goes through the same prediction service as
 * {@code /v1/predict/batch}: the same contracts, cache, breakers, experiments and log. Errors are OIP's
 * {@code {"error": message}} (with converge's {@code code} beside it); an infer request is answered as a whole, so
 * one row that breaks the model's contract refuses it with that row's reasons ({@code /v1/predict/batch} answers
 * row by row). Documented in docs/open-inference.md.
 */
public final class OipRoutes implements ServeModule {
    /** converge's version as its jar records it; "development" when run from classes (tests, the IDE). */
    public static String version() {
        try (java.io.InputStream in = OipRoutes.class.getResourceAsStream(
                "/META-INF/maven/dev.converge/converge-serve/pom.properties")) {
            if (in == null) {
                return "development";
            }
            java.util.Properties p = new java.util.Properties();
            p.load(in);
            return p.getProperty("version", "development");
        } catch (java.io.IOException e) {
            return "development";
        }
    }

    private final OipService oip;
    private final long shedDelayMillis;

    public OipRoutes(OipModels models, String serverVersion, int batchMaxRows, long shedDelayMillis) {
        this.oip = new OipService(models, serverVersion, batchMaxRows);
        this.shedDelayMillis = shedDelayMillis;
    }

    /** The transport-free operations, shared with the gRPC service. */
    OipService service() {
        return oip;
    }

    @Override
    public String name() {
        return "open-inference";
    }

    @Override
    public void mount(Vertx vertx, Router router) {
        router.get("/v2").handler(ctx -> reply(ctx, oip.server()));
        router.get("/v2/health/live").handler(ctx -> Responses.json(ctx, 200, new JsonObject().put("live", true)));
        router.get("/v2/health/ready").handler(ctx -> {
            boolean ready = oip.ready();
            Responses.json(ctx, ready ? 200 : 503, new JsonObject().put("ready", ready));
        });
        router.get("/v2/models/:name").handler(ctx -> reply(ctx, oip.metadata(ctx.pathParam("name"), null)));
        router.get("/v2/models/:name/versions/:version").handler(ctx -> reply(ctx, oip.metadata(
                ctx.pathParam("name"), ctx.pathParam("version"))));
        router.get("/v2/models/:name/ready").handler(ctx -> reply(ctx, oip.modelReady(ctx.pathParam("name"), null)));
        router.get("/v2/models/:name/versions/:version/ready").handler(ctx -> reply(ctx, oip.modelReady(
                ctx.pathParam("name"), ctx.pathParam("version"))));
        router.post("/v2/models/:name/infer").handler(ctx -> infer(ctx, null));
        router.post("/v2/models/:name/versions/:version/infer").handler(ctx -> infer(ctx,
                ctx.pathParam("version")));
    }

    private void infer(RoutingContext ctx, String version) {
        JsonObject body;
        try {
            body = body(ctx);
        } catch (Tensors.Refused e) {
            reply(ctx, OipService.Reply.error(400, "bad_request", e.getMessage()));
            return;
        }
        oip.infer(ctx.pathParam("name"), version, body).onComplete(ar -> {
            if (ar.failed()) {
                ctx.fail(ar.cause());
            } else {
                reply(ctx, ar.result());
            }
        });
    }

    private void reply(RoutingContext ctx, OipService.Reply r) {
        if (r.overloaded() != null) {
            Responses.overloaded(ctx, r.overloaded(), shedDelayMillis);
        } else {
            Responses.json(ctx, r.status(), r.body());
        }
    }

    private static JsonObject body(RoutingContext ctx) {
        io.vertx.core.buffer.Buffer buf = ctx.body().buffer();
        if (buf == null || buf.length() == 0) {
            throw new Tensors.Refused("the request body must be a JSON object with \"inputs\"");
        }
        try {
            if (Json.decodeValue(buf) instanceof JsonObject o) {
                return o;
            }
        } catch (DecodeException e) {
            throw new Tensors.Refused("the body is not valid JSON: " + e.getMessage());
        }
        throw new Tensors.Refused("the request body must be a JSON object with \"inputs\"");
    }
}
