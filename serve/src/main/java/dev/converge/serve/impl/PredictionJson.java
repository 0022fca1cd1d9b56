package dev.converge.serve.impl;

import dev.converge.contracts.Violation;
import dev.converge.model.Prediction;
import dev.converge.serve.predict.ModelRef;
import dev.converge.serve.predict.PredictionOutcome;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The one JSON codec for predictions: the REST answers (single, batch items), the error bodies
 * ({@code {"error", "message", "errors": [{field, reason, message}]}}), and the form a prediction is cached in.
 */
final class PredictionJson {
    private PredictionJson() {}

    /** A single request's answer: the prediction, the model, the latency and the cache and degraded flags. */
    static JsonObject answer(PredictionOutcome o, double latencyMs) {
        if (o instanceof PredictionOutcome.Scored s) {
            return body(s.predictionId(), s.prediction(), s.model(), latencyMs, s.cached(), null, s.warnings());
        }
        if (o instanceof PredictionOutcome.Degraded d) {
            return body(d.predictionId(), d.prediction(), d.model(), latencyMs, d.cached(), d.reason(), d.warnings());
        }
        throw new IllegalArgumentException("not an answer: " + o);
    }

    /** One row of a batch answer, with its index; a row that could not be scored says why, per field. */
    static JsonObject batchItem(int index, PredictionOutcome o) {
        JsonObject item = new JsonObject().put("index", index);
        if (o instanceof PredictionOutcome.Scored s) {
            return rowOf(item.put("ok", true).mergeIn(body(s.predictionId(), s.prediction(), variantOnly(s.model()),
                    0, s.cached(), null, s.warnings())));
        }
        if (o instanceof PredictionOutcome.Degraded d) {
            return rowOf(item.put("ok", true).mergeIn(body(d.predictionId(), d.prediction(), variantOnly(d.model()),
                    0, d.cached(), d.reason(), d.warnings())));
        }
        if (o instanceof PredictionOutcome.UnknownEntity u) {
            return item.put("ok", false).put("error", "unknown_entity").put("errors", violations(List.of(
                    unknownEntity(u))));
        }
        if (o instanceof PredictionOutcome.Invalid i) {
            return item.put("ok", false).put("error", "invalid_features").put("errors", violations(i.violations()));
        }
        if (o instanceof PredictionOutcome.Malformed m) {
            return item.put("ok", false).put("error", "bad_request").put("errors", violations(m.violations()));
        }
        throw new IllegalArgumentException("not a batch row: " + o);
    }

    /** A batch's latency is the batch's, not a row's. */
    private static JsonObject rowOf(JsonObject item) {
        item.remove("latency_ms");
        return item;
    }

    /** A batch row names its model only when another variant than the champion answered it. */
    private static ModelRef variantOnly(ModelRef m) {
        return m == null || m.variant().equals(ModelRef.CHAMPION) ? null : m;
    }

    /** The model that answered; for a binomial model, the threshold its labels were decided with. */
    static JsonObject model(ModelRef m) {
        JsonObject o = new JsonObject().put("name", m.name()).put("version", m.version()).put("variant", m.variant());
        if (m.threshold() != null) {
            o.put("threshold", m.threshold()).put("threshold_metric", m.thresholdMetric());
        }
        return o;
    }

    /** The violation an unknown entity is reported as. */
    static Violation unknownEntity(PredictionOutcome.UnknownEntity u) {
        return new Violation("entity_id", u.entityId(), "unknown_entity", "entity '" + u.entityId()
                + "' has no stored features" + (u.featureSet().isEmpty() ? "" : " in feature set '" + u.featureSet()
                + "'") + ", and the request sent none of model '" + u.model().name() + "''s");
    }

    private static JsonObject body(String id, Prediction p, ModelRef model, double latencyMs, boolean cached,
                                   String degraded, List<Violation> warnings) {
        JsonObject o = new JsonObject().put("prediction_id", id).put("prediction", p.value());
        if (p.probabilities() != null) {
            o.put("probabilities", new JsonObject(new LinkedHashMap<>(p.probabilities())));
        }
        if (model != null) {
            o.put("model", model(model));
            if (model.threshold() != null) {
                o.put("threshold", model.threshold());
            }
            o.put("latency_ms", latencyMs);
        }
        o.put("cached", cached).put("degraded", degraded != null);
        if (degraded != null) {
            o.put("degraded_reason", degraded);
        }
        if (!warnings.isEmpty()) {
            o.put("warnings", violations(warnings));
        }
        return o;
    }

    static JsonObject error(String code, String message, List<Violation> violations) {
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

    static JsonObject toCache(Prediction p) {
        JsonObject o = new JsonObject().put("prediction", p.value());
        if (p.probabilities() != null) {
            o.put("probabilities", new JsonObject(new LinkedHashMap<>(p.probabilities())));
        }
        return o;
    }

    static Prediction fromCache(JsonObject o) {
        Map<String, Double> probs = null;
        if (o.getJsonObject("probabilities") != null) {
            probs = new LinkedHashMap<>();
            for (Map.Entry<String, Object> e : o.getJsonObject("probabilities")) {
                probs.put(e.getKey(), ((Number) e.getValue()).doubleValue());
            }
        }
        return new Prediction(o.getValue("prediction"), probs);
    }
}
