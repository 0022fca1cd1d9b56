package dev.converge.serve.http;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/** The OpenAPI 3 description of the REST API, served at /openapi.json; {@code OpenApiTest} keeps it true to the routes. */
public final class OpenApi {
    private OpenApi() {}

    public static JsonObject document() {
        JsonObject error = new JsonObject().put("type", "object").put("required", new JsonArray().add("error").add("message"))
                .put("properties", new JsonObject()
                        .put("error", new JsonObject().put("type", "string"))
                        .put("message", new JsonObject().put("type", "string"))
                        .put("errors", new JsonObject().put("type", "array").put("items", new JsonObject()
                                .put("type", "object").put("properties", new JsonObject()
                                        .put("field", str()).put("reason", str()).put("message", str())))));
        JsonObject request = new JsonObject().put("type", "object").put("additionalProperties", false)
                .put("properties", new JsonObject()
                        .put("entity_id", new JsonObject().put("type", "string").put("description",
                                "features stored for this entity are merged under the request's features"))
                        .put("features", new JsonObject().put("type", "object").put("description",
                                "feature name to value, typed as the model's schema says (no coercion)"))
                        .put("event_time", new JsonObject().put("type", "string").put("description",
                                "the instant the prediction is for (ISO-8601); date-part features derive from it"))
                        .put("model", new JsonObject().put("type", "string").put("description", "the served model"
                                + " to answer; required when the server serves several (400 model_required naming"
                                + " them), and taken off the body before the row is read"))
                        .put("model_version", new JsonObject().put("type", "integer").put("description",
                                "a deployed version to answer, when the model's deployment allows pinning"
                                        + " (docs/experiments.md); otherwise the deployment routes the request")));
        JsonObject prediction = new JsonObject().put("type", "object").put("properties", new JsonObject()
                .put("prediction_id", new JsonObject().put("type", "string").put("description", "names the"
                        + " prediction in the prediction log and in POST /v1/feedback"))
                .put("model", new JsonObject().put("type", "object").put("description", "name, version, variant;"
                        + " for a binomial model also threshold, threshold_metric (what it maximises, on which rows)"
                        + " and positive_class (the class the threshold, the AUC and a positive answer are about)"))
                .put("prediction", new JsonObject().put("description", "class label, or value for regression"))
                .put("probabilities", new JsonObject().put("type", "object"))
                .put("latency_ms", new JsonObject().put("type", "number"))
                .put("cached", new JsonObject().put("type", "boolean"))
                .put("degraded", new JsonObject().put("type", "boolean"))
                .put("degraded_reason", new JsonObject().put("type", "string").put("description",
                        "why the answer is degraded (a dependency down); only when degraded is true"))
                .put("threshold", new JsonObject().put("type", "number").put("description", "binomial models: the"
                        + " positive class is the label when its probability is at least this (model.threshold_metric says what it"
                        + " maximises, on which rows)"))
                .put("warnings", new JsonObject().put("type", "array").put("description", "what was read other than"
                        + " as sent: label_ignored, unseen_level (scored as missing), read_as_missing,"
                        + " missing_not_seen_in_training (a missing value sent for a feature never missing in"
                        + " training, scored as missing), unknown_entity (scored from the request's features)").put("items", new JsonObject().put("type", "object"))));
        JsonObject errors = new JsonObject()
                .put("400", response("malformed JSON, wrong shape, or a bad entity_id", "Error"))
                .put("404", response("unknown_entity: the entity has no stored features and the request sent none",
                        "Error"))
                .put("408", response("the body did not arrive within serve.request_timeout_ms", "Error"))
                .put("413", response("body too large", "Error"))
                .put("422", response("features that break the model's contract", "Error"))
                .put("503", response("no verified model is loaded yet, or overloaded (error \"overloaded\", with"
                        + " Retry-After; the message names the bound)", "Error"));
        JsonObject paths = new JsonObject()
                .put("/v1/predict", new JsonObject().put("post", op("Score one row", ref("PredictRequest"),
                        new JsonObject().put("200", response("the prediction", "Prediction")).mergeIn(errors.copy()))))
                .put("/v1/predict/batch", new JsonObject().put("post", op("Score up to serve.batch_max_rows rows; one"
                                + " result per row, a bad row never fails the others",
                        new JsonObject().put("type", "object").put("properties", new JsonObject().put("rows",
                                new JsonObject().put("type", "array").put("items", ref("PredictRequest")))),
                        new JsonObject().put("200", response("a result per row", null)).mergeIn(errors.copy()))))
                .put("/v1/models/{name}/predict", new JsonObject().put("post", op("Score one row with the served"
                        + " model {name} (serve.models)", ref("PredictRequest"), new JsonObject().put("200",
                        response("the prediction", "Prediction")).mergeIn(errors.copy())).put("parameters",
                        new JsonArray().add(new JsonObject().put("name", "name").put("in", "path")
                                .put("required", true).put("schema", str())))))
                .put("/v1/models/{name}/predict/batch", new JsonObject().put("post", op("Score a batch with the"
                        + " served model {name}; one result per row", null, new JsonObject().put("200",
                        response("one result per row", null)).mergeIn(errors.copy())).put("parameters",
                        new JsonArray().add(new JsonObject().put("name", "name").put("in", "path")
                                .put("required", true).put("schema", str())))))
                .put("/v1/similar", new JsonObject().put("post", op("The k entities whose stored vector of a"
                                + " feature is nearest to the given one (pgvector's HNSW index, or exact where it is"
                                + " absent: the answer's \"exact\" and \"search\" say which)",
                        new JsonObject().put("type", "object").put("required", new JsonArray().add("feature")
                                .add("vector")).put("additionalProperties", false).put("properties", new JsonObject()
                                .put("feature", str()).put("vector", new JsonObject().put("type", "array"))
                                .put("k", new JsonObject().put("type", "integer").put("default", 10))
                                .put("feature_set", str())
                                .put("filter", new JsonObject().put("type", "object").put("description",
                                        "feature values the neighbours' stored features contain (@>)"))
                                .put("ef_search", new JsonObject().put("type", "integer").put("default", 100))),
                        similarResponses())))
                .put("/v1/entities/{id}/similar", new JsonObject().put("get", op("The k entities nearest to an"
                                + " entity's own stored vector of a feature (the entity left out); query parameters"
                                + " feature, k, feature_set, filter (JSON), ef_search", null, similarResponses())
                        .put("parameters", new JsonArray().add(new JsonObject().put("name", "id").put("in", "path")
                                .put("required", true).put("schema", str())).add(new JsonObject().put("name",
                                "feature").put("in", "query").put("required", true).put("schema", str())))))
                .put("/health/live", new JsonObject().put("get", op("Liveness; always cheap", null,
                        new JsonObject().put("200", response("alive", null)))))
                .put("/health/ready", new JsonObject().put("get", op("Ready once a model is loaded and verified", null,
                        new JsonObject().put("200", response("ready", null)).put("503", response("not ready", null)))))
                .put("/metrics", new JsonObject().put("get", op("Prometheus metrics", null,
                        new JsonObject().put("200", response("text exposition format", null)))))
                .put("/graphql", new JsonObject().put("post", op("GraphQL (docs/graphql.md): entities, features,"
                                + " history, predictions and models in one request; GraphiQL at /graphql/ui/",
                        new JsonObject().put("type", "object").put("required", new JsonArray().add("query"))
                                .put("properties", new JsonObject().put("query", str()).put("operationName", str())
                                        .put("variables", new JsonObject().put("type", "object"))
                                        .put("extensions", new JsonObject().put("type", "object").put("description",
                                                "{\"statements\": true} adds the SQL statements the request caused"))),
                        new JsonObject().put("200", response("data, and per-field errors", null))
                                .put("400", response("a syntax or validation error, or a bound exceeded (errors[]."
                                        + "extensions: code, limit, measured, budget); nothing was run", null))
                                .put("503", response("overloaded or not ready", "Error")))))
                .put("/v1/feedback", new JsonObject().put("post", op("The ground truth of a prediction, once known"
                                + " (docs/monitoring.md)", new JsonObject().put("type", "object").put("required",
                                new JsonArray().add("prediction_id").add("label")).put("additionalProperties", false)
                                .put("properties", new JsonObject().put("prediction_id", str())
                                        .put("label", new JsonObject().put("description", "the observed class or value"))
                                        .put("observed_at", new JsonObject().put("type", "string").put("format",
                                                "date-time"))),
                        new JsonObject().put("201", response("recorded (logged: whether the prediction is in the log)",
                                        null)).put("400", response("a bad field, named", "Error"))
                                .put("409", response("the prediction already has a label", "Error"))
                                .put("503", response("the store is unavailable or the server overloaded", "Error")))))
                .put("/admin/drift/run", new JsonObject().put("post", op("Run the drift job now for the active model"
                                + " over the last window_minutes (bearer token)", null, new JsonObject()
                                .put("200", response("the drift report", null))
                                .put("400", response("bad window_minutes", "Error"))
                                .put("401", response("missing or wrong token", "Error"))
                                .put("403", response("admin is disabled: no token configured", "Error"))
                                .put("503", response("the run failed", "Error")))
                        .put("parameters", new JsonArray().add(new JsonObject().put("name", "window_minutes")
                                .put("in", "query").put("schema", new JsonObject().put("type", "integer"))))))
                .put("/graphql/schema", new JsonObject().put("get", op("The GraphQL schema (SDL)", null,
                        new JsonObject().put("200", response("application/graphql", null)))))
                .put("/graphql/ui", new JsonObject().put("get", op("GraphiQL, from the jar (no CDN), at /graphql/ui/",
                        null, new JsonObject().put("200", response("text/html", null)))).put("head", op("As GET,"
                        + " without the body (monitors, link checkers)", null, new JsonObject().put("200",
                        response("text/html", null)))))
                .put("/openapi.json", new JsonObject().put("get", op("This document", null,
                        new JsonObject().put("200", response("OpenAPI 3", null)))))
                .put("/admin/models/{version}/activate", new JsonObject().put("post", op("Load, verify, warm and"
                                + " swap in a version (bearer token)", null, adminResponses())
                        .put("parameters", new JsonArray().add(new JsonObject().put("name", "version").put("in", "path")
                                .put("required", true).put("schema", new JsonObject().put("type", "integer"))))))
                .put("/admin/models/rollback", new JsonObject().put("post", op("Swap back to the previous model"
                        + " (bearer token)", null, adminResponses())))
                .put("/admin/registry/promote", new JsonObject().put("post", op("Promote a version to champion in"
                        + " the registry; every replica follows ({\"version\", \"reason\"?}, bearer token)", null,
                        adminResponses().put("400", response("bad version", "Error")))))
                .put("/admin/experiment/share", new JsonObject().put("post", op("Set a challenger's share of"
                        + " traffic in the registry ({\"version\", \"share\", \"reason\"?}, bearer token)", null,
                        adminResponses().put("400", response("not a challenger, or a bad share", "Error")))))
                .put("/ui", new JsonObject().put("get", op("The dashboard (redirects to /ui/)", null,
                        new JsonObject().put("302", response("to /ui/", null)))))
                .put("/ui/", new JsonObject().put("get", op("The dashboard page and its assets (/ui/index.html,"
                        + " app.js, app.css)", null, new JsonObject().put("200", response("text/html", null)))))
                .put("/ui/vendor/", new JsonObject().put("get", op("uPlot's distribution, from its WebJar", null,
                        new JsonObject().put("200", response("JavaScript, CSS", null)))))
                .put("/ui/api/live", new JsonObject().put("get", op("The dashboard's live series: the last five"
                        + " minutes per second, breakers, the model as served", null,
                        new JsonObject().put("200", response("series", null)))))
                .put("/ui/api/model", new JsonObject().put("get", op("The registry's versions, events and"
                        + " deployments of the served model (kept 2 s)", null,
                        new JsonObject().put("200", response("model", null)))))
                .put("/ui/api/drift", new JsonObject().put("get", op("The latest drift run of the served model (kept"
                        + " 5 s)", null, new JsonObject().put("200", response("drift", null)))))
                .put("/ui/api/training", new JsonObject().put("get", op("The last sweeps' leaderboards (kept 10 s)",
                        null, new JsonObject().put("200", response("sweeps", null)))));
        openInference(paths);
        return new JsonObject().put("openapi", "3.0.3")
                .put("info", new JsonObject().put("title", "converge prediction server").put("version", "1"))
                .put("paths", paths)
                .put("components", new JsonObject().put("schemas", new JsonObject().put("Error", error)
                        .put("PredictRequest", request).put("Prediction", prediction))
                        .put("securitySchemes", new JsonObject().put("admin", new JsonObject().put("type", "http")
                                .put("scheme", "bearer"))));
    }

    /** The Open Inference Protocol's REST routes (docs/open-inference.md), as its specification describes them. */
    private static void openInference(JsonObject paths) {
        JsonObject oipError = new JsonObject().put("description", "{\"error\": message, \"code\": converge's code}");
        JsonObject model = new JsonObject().put("name", "name").put("in", "path").put("required", true)
                .put("schema", str());
        JsonObject version = new JsonObject().put("name", "version").put("in", "path").put("required", true)
                .put("schema", str());
        paths.put("/v2", new JsonObject().put("get", op("Server metadata: name, version, extensions", null,
                new JsonObject().put("200", response("metadata", null)))));
        paths.put("/v2/health/live", new JsonObject().put("get", op("Server liveness", null,
                new JsonObject().put("200", response("live", null)))));
        paths.put("/v2/health/ready", new JsonObject().put("get", op("Server readiness: every served model ready",
                null, new JsonObject().put("200", response("ready", null)).put("503", oipError))));
        for (String v : new String[] {"", "/versions/{version}"}) {
            JsonArray params = new JsonArray().add(model);
            if (!v.isEmpty()) {
                params.add(version);
            }
            paths.put("/v2/models/{name}" + v, new JsonObject().put("get", op("Model metadata: versions, platform,"
                    + " input and output tensors", null, new JsonObject().put("200", response("metadata", null))
                    .put("404", oipError).put("503", oipError)).put("parameters", params)));
            paths.put("/v2/models/{name}" + v + "/ready", new JsonObject().put("get", op("Model readiness", null,
                    new JsonObject().put("200", response("ready", null)).put("404", oipError).put("503", oipError))
                    .put("parameters", params)));
            paths.put("/v2/models/{name}" + v + "/infer", new JsonObject().put("post", op("Inference on named"
                    + " tensors, one per feature (and entity_id); answered as a whole", new JsonObject()
                    .put("type", "object").put("required", new JsonArray().add("inputs")), new JsonObject()
                    .put("200", response("outputs: predict, probabilities, prediction_id, model_version", null))
                    .put("400", oipError).put("404", oipError).put("503", oipError)).put("parameters", params)));
        }
        paths.put("/inference.GRPCInferenceService/{method}", new JsonObject().put("post", op("The same protocol over"
                + " gRPC (HTTP/2, application/grpc; src/main/protobuf/open_inference.proto): ServerLive, ServerReady,"
                + " ServerMetadata, ModelReady, ModelMetadata, ModelInfer. Not a REST route: a gRPC client calls it,"
                + " and every answer is HTTP 200 with grpc-status", null, new JsonObject().put("200",
                response("a gRPC answer or refusal (grpc-status, grpc-message)", null)).put("415",
                response("not a gRPC request", "Error")))).put("parameters", new JsonArray().add(new JsonObject()
                .put("name", "method").put("in", "path").put("required", true).put("schema", str()))));
    }

    private static JsonObject similarResponses() {
        return new JsonObject().put("200", response("the neighbours, nearest first, with their distances", null))
                .put("400", response("a bad parameter, named; or the feature is not a vector", "Error"))
                .put("404", response("unknown feature, or the entity has no stored vector of it", "Error"))
                .put("422", response("the vector breaks the feature's contract (dimension, finite numbers)", "Error"))
                .put("503", response("the feature store is unavailable, or the server overloaded", "Error"));
    }

    private static JsonObject adminResponses() {
        return new JsonObject().put("200", response("done", null)).put("401", response("missing or wrong token", "Error"))
                .put("403", response("admin is disabled: no token configured", "Error"))
                .put("404", response("no such version", "Error")).put("409", response("the model failed verification", "Error"));
    }

    private static JsonObject op(String summary, JsonObject body, JsonObject responses) {
        JsonObject o = new JsonObject().put("summary", summary).put("responses", responses);
        if (body != null) {
            o.put("requestBody", new JsonObject().put("required", true).put("content", new JsonObject()
                    .put("application/json", new JsonObject().put("schema", body))));
        }
        return o;
    }

    private static JsonObject response(String description, String schema) {
        JsonObject r = new JsonObject().put("description", description);
        if (schema != null) {
            r.put("content", new JsonObject().put("application/json", new JsonObject().put("schema", ref(schema))));
        }
        return r;
    }

    private static JsonObject ref(String name) {
        return new JsonObject().put("$ref", "#/components/schemas/" + name);
    }

    private static JsonObject str() {
        return new JsonObject().put("type", "string");
    }
}
