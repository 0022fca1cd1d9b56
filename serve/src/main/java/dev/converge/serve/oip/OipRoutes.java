package dev.converge.serve.oip;

import dev.converge.contracts.Violation;
import dev.converge.model.Prediction;
import dev.converge.serve.http.PredictionJson;
import dev.converge.serve.http.Responses;
import dev.converge.serve.model.ModelHandle;
import dev.converge.serve.model.Readiness;
import dev.converge.serve.module.ServeModule;
import dev.converge.serve.predict.BatchOutcome;
import dev.converge.serve.predict.PredictionOutcome;
import io.vertx.core.Vertx;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

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

    private final OipModels models;
    private final String serverVersion;
    private final int batchMaxRows;
    private final long shedDelayMillis;

    public OipRoutes(OipModels models, String serverVersion, int batchMaxRows, long shedDelayMillis) {
        this.models = models;
        this.serverVersion = serverVersion;
        this.batchMaxRows = batchMaxRows;
        this.shedDelayMillis = shedDelayMillis;
    }

    @Override
    public String name() {
        return "open-inference";
    }

    @Override
    public void mount(Vertx vertx, Router router) {
        router.get("/v2").handler(ctx -> Responses.json(ctx, 200, new JsonObject().put("name", "converge")
                .put("version", serverVersion).put("extensions", new JsonArray().add("entity_id"))));
        router.get("/v2/health/live").handler(ctx -> Responses.json(ctx, 200, new JsonObject().put("live", true)));
        router.get("/v2/health/ready").handler(ctx -> {
            boolean ready = models.ready();
            Responses.json(ctx, ready ? 200 : 503, new JsonObject().put("ready", ready));
        });
        router.get("/v2/models/:name").handler(ctx -> metadata(ctx, null));
        router.get("/v2/models/:name/versions/:version").handler(ctx -> metadata(ctx, ctx.pathParam("version")));
        router.get("/v2/models/:name/ready").handler(ctx -> ready(ctx, null));
        router.get("/v2/models/:name/versions/:version/ready").handler(ctx -> ready(ctx, ctx.pathParam("version")));
        router.post("/v2/models/:name/infer").handler(ctx -> infer(ctx, null));
        router.post("/v2/models/:name/versions/:version/infer").handler(ctx -> infer(ctx,
                ctx.pathParam("version")));
    }

    private void metadata(RoutingContext ctx, String version) {
        OipModels.Served s = served(ctx);
        if (s == null) {
            return;
        }
        ModelHandle m = s.active();
        if (m == null) {
            error(ctx, 503, "not_ready", "model '" + ctx.pathParam("name") + "' has no verified version loaded yet: "
                    + s.readiness().reason());
            return;
        }
        if (version != null && !version.equals(Integer.toString(m.version()))) {
            error(ctx, 404, "unknown_version", "model '" + m.name() + "' serves v" + m.version() + ", not '" + version
                    + "' (a deployed challenger answers infer requests pinned to it, when the deployment allows"
                    + " pinning)");
            return;
        }
        Responses.json(ctx, 200, new JsonObject().put("name", m.name())
                .put("versions", new JsonArray().add(Integer.toString(m.version())))
                .put("platform", "h2o_mojo").put("inputs", Tensors.inputs(m)).put("outputs", Tensors.outputs(m))
                .put("parameters", new JsonObject().put("algorithm", m.algorithm())
                        .put("classes", String.join(",", m.classes()))));
    }

    private void ready(RoutingContext ctx, String version) {
        OipModels.Served s = served(ctx);
        if (s == null) {
            return;
        }
        Readiness r = s.readiness();
        boolean ready = r.ready() && (version == null || version.equals(String.valueOf(r.version())));
        JsonObject body = new JsonObject().put("name", ctx.pathParam("name")).put("ready", ready);
        if (!r.ready()) {
            body.put("reason", r.reason());
        }
        Responses.json(ctx, ready ? 200 : 503, body);
    }

    private void infer(RoutingContext ctx, String version) {
        OipModels.Served s = served(ctx);
        if (s == null) {
            return;
        }
        ModelHandle m = s.active();
        if (m == null) {
            error(ctx, 503, "not_ready", s.readiness().reason());
            return;
        }
        Integer pinned = null;
        if (version != null) {
            if (!version.matches("[1-9][0-9]{0,8}")) {
                error(ctx, 400, "bad_request", "version must be a positive integer, was '" + version + "'");
                return;
            }
            pinned = Integer.parseInt(version) == m.version() ? null : Integer.parseInt(version);
        }
        JsonObject body;
        List<JsonObject> rows;
        List<String> wanted;
        try {
            body = body(ctx);
            rows = Tensors.rows(body, m, pinned, batchMaxRows);
            wanted = requestedOutputs(body, m);
        } catch (Tensors.Refused e) {
            error(ctx, 400, "bad_request", e.getMessage());
            return;
        }
        s.service().predictBatch(new ArrayList<>(rows)).onComplete(ar -> {
            if (ar.failed()) {
                ctx.fail(ar.cause());
                return;
            }
            BatchOutcome outcome = ar.result();
            if (outcome instanceof BatchOutcome.Rows r) {
                answer(ctx, body, m, r, wanted);
            } else if (outcome instanceof BatchOutcome.BadSize b) {
                error(ctx, 400, "bad_batch_size", "a request holds 1.." + b.max() + " rows, this one has " + b.size());
            } else if (((BatchOutcome.Refused) outcome).why() instanceof PredictionOutcome.Shed shed) {
                Responses.overloaded(ctx, shed.detail(), shedDelayMillis);
            } else {
                error(ctx, 503, "not_ready", ((PredictionOutcome.NotReady) ((BatchOutcome.Refused) outcome).why())
                        .reason());
            }
        });
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

    /** The outputs asked for by name ({@code outputs: [{"name": ...}]}); all of them when none are. */
    private static List<String> requestedOutputs(JsonObject body, ModelHandle m) {
        List<String> all = new ArrayList<>();
        Tensors.outputs(m).forEach(o -> all.add(((JsonObject) o).getString("name")));
        Object asked = body.getValue("outputs");
        if (asked == null) {
            return all;
        }
        if (!(asked instanceof JsonArray a)) {
            throw new Tensors.Refused("\"outputs\" must be an array of {\"name\": ...}");
        }
        List<String> out = new ArrayList<>();
        for (int i = 0; i < a.size(); i++) {
            String name = a.getValue(i) instanceof JsonObject o && o.getValue("name") instanceof String n ? n : null;
            if (name == null || !all.contains(name)) {
                throw new Tensors.Refused("outputs[" + i + "] must name one of " + all + ", was " + a.getValue(i));
            }
            out.add(name);
        }
        return out;
    }

    private void answer(RoutingContext ctx, JsonObject request, ModelHandle m, BatchOutcome.Rows r,
                        List<String> wanted) {
        int n = r.rows().size();
        List<String> problems = new ArrayList<>();
        JsonArray details = new JsonArray();
        List<String> warnings = new ArrayList<>();
        int degraded = 0;
        int cached = 0;
        JsonArray predict = new JsonArray();
        JsonArray probabilities = new JsonArray();
        JsonArray ids = new JsonArray();
        JsonArray versions = new JsonArray();
        for (int i = 0; i < n; i++) {
            PredictionOutcome o = r.rows().get(i);
            Prediction p;
            List<Violation> rowWarnings;
            if (o instanceof PredictionOutcome.Scored sc) {
                p = sc.prediction();
                rowWarnings = sc.warnings();
                cached += sc.cached() ? 1 : 0;
                ids.add(sc.predictionId());
                versions.add(sc.model().version());
            } else if (o instanceof PredictionOutcome.Degraded d) {
                p = d.prediction();
                rowWarnings = d.warnings();
                degraded++;
                cached += d.cached() ? 1 : 0;
                warnings.add("row " + i + ": degraded: " + d.reason());
                ids.add(d.predictionId());
                versions.add(d.model().version());
            } else {
                JsonObject item = PredictionJson.batchItem(i, o);
                details.add(item);
                problems.add("row " + i + ": " + reasons(item.getJsonArray("errors")));
                continue;
            }
            for (Violation w : rowWarnings) {
                warnings.add("row " + i + ": " + w.message());
            }
            if (p.value() == null) { // a degraded default answer with no value configured
                problems.add("row " + i + ": no prediction (" + ((PredictionOutcome.Degraded) o).reason() + ")");
                continue;
            }
            predict.add(m.classes().isEmpty() && p.value() instanceof Number v ? v.doubleValue()
                    : String.valueOf(p.value()));
            if (!m.classes().isEmpty()) {
                for (String c : m.classes()) {
                    Double pc = p.probabilities() == null ? null : p.probabilities().get(c);
                    if (pc == null) { // a degraded default answer carries no probabilities: none is made up
                        problems.add("row " + i + ": no probability of class '" + c + "' in its answer");
                        break;
                    }
                    probabilities.add(pc);
                }
            }
        }
        if (!problems.isEmpty()) {
            Responses.json(ctx, 400, new JsonObject().put("error", problems.size() + " of " + n + " rows could not"
                    + " be scored: " + String.join("; ", problems.subList(0, Math.min(5, problems.size())))
                    + (problems.size() > 5 ? "; ..." : "")).put("code", "invalid_rows").put("rows", details));
            return;
        }
        JsonArray outputs = new JsonArray();
        for (String name : wanted) {
            JsonObject t = new JsonObject().put("name", name);
            switch (name) {
                case "predict" -> t.put("datatype", m.classes().isEmpty() ? "FP64" : "BYTES")
                        .put("shape", new JsonArray().add(n)).put("data", predict);
                case "probabilities" -> t.put("datatype", "FP64").put("shape", new JsonArray().add(n)
                        .add(m.classes().size())).put("data", probabilities)
                        .put("parameters", new JsonObject().put("classes", String.join(",", m.classes())));
                case "prediction_id" -> t.put("datatype", "BYTES").put("shape", new JsonArray().add(n))
                        .put("data", ids);
                default -> t.put("datatype", "INT32").put("shape", new JsonArray().add(n)).put("data", versions);
            }
            outputs.add(t);
        }
        JsonObject parameters = new JsonObject().put("cached_rows", cached);
        if (degraded > 0) {
            parameters.put("degraded_rows", degraded);
        }
        for (String ignored : Tensors.ignoredParameters(request)) {
            warnings.add(ignored + " was ignored (converge reads parameters.event_time only)");
        }
        if (!warnings.isEmpty()) {
            parameters.put("warnings", String.join("; ", warnings));
        }
        JsonObject answer = new JsonObject().put("model_name", m.name())
                .put("model_version", Integer.toString(r.model().version())).put("outputs", outputs)
                .put("parameters", parameters);
        if (request.getValue("id") instanceof String id) {
            answer.put("id", id);
        }
        Responses.json(ctx, 200, answer);
    }

    private static String reasons(JsonArray errors) {
        List<String> out = new ArrayList<>();
        if (errors != null) {
            for (int i = 0; i < errors.size(); i++) {
                out.add(errors.getJsonObject(i).getString("message"));
            }
        }
        return String.join(", ", out);
    }

    private OipModels.Served served(RoutingContext ctx) {
        String name = ctx.pathParam("name");
        Optional<OipModels.Served> s = models.find(name);
        if (s.isEmpty()) {
            error(ctx, 404, "unknown_model", "model '" + name + "' is not served here; served: " + models.names());
            return null;
        }
        return s.get();
    }

    private static void error(RoutingContext ctx, int status, String code, String message) {
        Responses.json(ctx, status, new JsonObject().put("error", message).put("code", code));
    }
}
