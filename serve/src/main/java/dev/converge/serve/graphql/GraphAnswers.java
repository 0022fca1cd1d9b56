package dev.converge.serve.graphql;

import dev.converge.contracts.Violation;
import dev.converge.serve.http.PredictionJson;
import dev.converge.serve.predict.PredictionOutcome;
import graphql.GraphqlErrorBuilder;
import graphql.execution.DataFetcherResult;
import graphql.schema.DataFetchingEnvironment;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Predictions in REST's words ({@link PredictionJson}), renamed to the GraphQL types' fields. */
final class GraphAnswers {
    private GraphAnswers() {
    }

    /** A prediction outcome as a GraphQL field's data or error. */
    record Answered(Map<String, Object> data, String code, String message, List<Map<String, Object>> errors) {
        static Answered of(PredictionOutcome o, double latencyMs) {
            if (o instanceof PredictionOutcome.Scored || o instanceof PredictionOutcome.Degraded) {
                return new Answered(prediction(PredictionJson.answer(o, latencyMs)), null, null, null);
            }
            if (o instanceof PredictionOutcome.Invalid i) {
                return failed("invalid_features", "the features break model '" + i.model().name() + "' v"
                        + i.model().version() + "'s contract", warnings(PredictionJson.violations(i.violations())));
            }
            if (o instanceof PredictionOutcome.UnknownEntity u) {
                Violation v = PredictionJson.unknownEntity(u);
                return failed("unknown_entity", v.message(), warnings(PredictionJson.violations(List.of(v))));
            }
            if (o instanceof PredictionOutcome.Malformed m) {
                return failed("bad_request", "the request does not have the expected shape",
                        warnings(PredictionJson.violations(m.violations())));
            }
            if (o instanceof PredictionOutcome.Shed s) {
                return failed("overloaded", "the server is at capacity (" + s.detail() + "); retry after 1 s",
                        List.of());
            }
            if (o instanceof PredictionOutcome.NotReady n) {
                return failed("not_ready", n.reason(), List.of());
            }
            throw new IllegalStateException("unexpected outcome " + o);
        }

        static Answered failed(String code, String message, List<Map<String, Object>> errors) {
            return new Answered(null, code, message, errors);
        }

        Object toResult(DataFetchingEnvironment env) {
            if (data != null) {
                return data;
            }
            Map<String, Object> ext = new LinkedHashMap<>();
            ext.put("code", code);
            if (!errors.isEmpty()) {
                ext.put("errors", errors);
            }
            return DataFetcherResult.newResult().error(GraphqlErrorBuilder.newError(env).message(message)
                    .extensions(ext).build()).build();
        }
    }

    /** REST's answer body, renamed to the GraphQL type's fields. */
    static Map<String, Object> prediction(JsonObject rest) {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("predictionId", rest.getString("prediction_id"));
        p.put("value", rest.getValue("prediction"));
        JsonObject probs = rest.getJsonObject("probabilities");
        p.put("probabilities", probs == null ? null : probs.getMap());
        p.put("model", rest.getJsonObject("model") == null ? null : model(rest.getJsonObject("model")));
        p.put("threshold", rest.getValue("threshold"));
        p.put("latencyMs", rest.getValue("latency_ms"));
        p.put("cached", rest.getBoolean("cached"));
        p.put("degraded", rest.getBoolean("degraded"));
        p.put("degradedReason", rest.getString("degraded_reason"));
        p.put("warnings", warnings(rest.getJsonArray("warnings")));
        return p;
    }

    static Map<String, Object> model(JsonObject m) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("name", m.getString("name"));
        out.put("version", m.getInteger("version"));
        out.put("variant", m.getString("variant"));
        out.put("threshold", m.getValue("threshold"));
        out.put("thresholdMetric", m.getString("threshold_metric"));
        out.put("positiveClass", m.getString("positive_class"));
        return out;
    }

    static List<Map<String, Object>> warnings(JsonArray a) {
        List<Map<String, Object>> out = new ArrayList<>();
        if (a != null) {
            for (int i = 0; i < a.size(); i++) {
                out.add(a.getJsonObject(i).getMap());
            }
        }
        return out;
    }
}
