package dev.converge.serve.oip;

import dev.converge.contracts.Violation;
import dev.converge.model.Prediction;
import dev.converge.serve.http.PredictionJson;
import dev.converge.serve.model.ModelHandle;
import dev.converge.serve.model.Readiness;
import dev.converge.serve.predict.BatchOutcome;
import dev.converge.serve.predict.PredictionOutcome;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The Open Inference Protocol's operations, free of any transport: the REST routes ({@link OipRoutes}) and the gRPC
 * service ({@link OipGrpc}) both call these, with the request as the REST protocol's JSON, and write the reply in
 * their own way. So the two transports read inputs, refuse bad ones and answer through one prediction service: the
 * same contracts, cache, breakers, experiments and log as {@code /v1/predict/batch}.
 */
final class OipService {
    /**
     * A reply: an HTTP-style status and the REST protocol's JSON body ({@code {"error": ...}} for a refusal, with
     * converge's {@code code}); {@code overloaded} names the bound when the server shed the request.
     */
    record Reply(int status, JsonObject body, String overloaded) {
        static Reply ok(JsonObject body) {
            return new Reply(200, body, null);
        }

        static Reply error(int status, String code, String message) {
            return new Reply(status, new JsonObject().put("error", message).put("code", code), null);
        }

        String message() {
            return body.getString("error");
        }
    }

    private final OipModels models;
    private final String serverVersion;
    private final int batchMaxRows;

    OipService(OipModels models, String serverVersion, int batchMaxRows) {
        this.models = models;
        this.serverVersion = serverVersion;
        this.batchMaxRows = batchMaxRows;
    }

    Reply server() {
        return Reply.ok(new JsonObject().put("name", "converge").put("version", serverVersion)
                .put("extensions", new JsonArray().add("entity_id")));
    }

    boolean ready() {
        return models.ready();
    }

    Reply metadata(String name, String version) {
        Optional<OipModels.Served> s = models.find(name);
        if (s.isEmpty()) {
            return unknown(name);
        }
        ModelHandle m = s.get().active();
        if (m == null) {
            return Reply.error(503, "not_ready", "model '" + name + "' has no verified version loaded yet: "
                    + s.get().readiness().reason());
        }
        if (version != null && !version.equals(Integer.toString(m.version()))) {
            return Reply.error(404, "unknown_version", "model '" + m.name() + "' serves v" + m.version() + ", not '"
                    + version + "' (a deployed challenger answers infer requests pinned to it, when the deployment"
                    + " allows pinning)");
        }
        return Reply.ok(new JsonObject().put("name", m.name())
                .put("versions", new JsonArray().add(Integer.toString(m.version())))
                .put("platform", "h2o_mojo").put("inputs", Tensors.inputs(m)).put("outputs", Tensors.outputs(m))
                .put("parameters", new JsonObject().put("algorithm", m.algorithm())
                        .put("classes", String.join(",", m.classes()))));
    }

    /** The model's readiness: 200 when ready, 503 (with the reason) when not, 404 for a model not served here. */
    Reply modelReady(String name, String version) {
        Optional<OipModels.Served> s = models.find(name);
        if (s.isEmpty()) {
            return unknown(name);
        }
        Readiness r = s.get().readiness();
        boolean ready = r.ready() && (version == null || version.equals(String.valueOf(r.version())));
        JsonObject body = new JsonObject().put("name", name).put("ready", ready);
        if (!r.ready()) {
            body.put("reason", r.reason());
        }
        return new Reply(ready ? 200 : 503, body, null);
    }

    /** An inference: {@code body} is the REST protocol's request ({@code inputs}, {@code outputs}, ...). */
    Future<Reply> infer(String name, String version, JsonObject body) {
        Optional<OipModels.Served> found = models.find(name);
        if (found.isEmpty()) {
            return Future.succeededFuture(unknown(name));
        }
        OipModels.Served s = found.get();
        ModelHandle m = s.active();
        if (m == null) {
            return Future.succeededFuture(Reply.error(503, "not_ready", s.readiness().reason()));
        }
        Integer pinned = null;
        if (version != null) {
            if (!version.matches("[1-9][0-9]{0,8}")) {
                return Future.succeededFuture(Reply.error(400, "bad_request", "version must be a positive integer,"
                        + " was '" + version + "'"));
            }
            pinned = Integer.parseInt(version) == m.version() ? null : Integer.parseInt(version);
        }
        List<JsonObject> rows;
        List<String> wanted;
        try {
            rows = Tensors.rows(body, m, pinned, batchMaxRows);
            wanted = requestedOutputs(body, m);
        } catch (Tensors.Refused e) {
            return Future.succeededFuture(Reply.error(400, "bad_request", e.getMessage()));
        }
        return s.service().predictBatch(new ArrayList<>(rows)).map(outcome -> {
            if (outcome instanceof BatchOutcome.Rows r) {
                return answer(body, m, r, wanted);
            } else if (outcome instanceof BatchOutcome.BadSize b) {
                return Reply.error(400, "bad_batch_size", "a request holds 1.." + b.max() + " rows, this one has "
                        + b.size());
            } else if (((BatchOutcome.Refused) outcome).why() instanceof PredictionOutcome.Shed shed) {
                return new Reply(503, new JsonObject().put("error", "the server is at capacity (" + shed.detail()
                        + "); retry after 1 s").put("code", "overloaded"), shed.detail());
            }
            return Reply.error(503, "not_ready", ((PredictionOutcome.NotReady) ((BatchOutcome.Refused) outcome)
                    .why()).reason());
        });
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

    private static Reply answer(JsonObject request, ModelHandle m, BatchOutcome.Rows r, List<String> wanted) {
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
            return new Reply(400, new JsonObject().put("error", problems.size() + " of " + n + " rows could not"
                    + " be scored: " + String.join("; ", problems.subList(0, Math.min(5, problems.size())))
                    + (problems.size() > 5 ? "; ..." : "")).put("code", "invalid_rows").put("rows", details), null);
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
        return Reply.ok(answer);
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

    private Reply unknown(String name) {
        return Reply.error(404, "unknown_model", "model '" + name + "' is not served here; served: " + models.names());
    }
}
