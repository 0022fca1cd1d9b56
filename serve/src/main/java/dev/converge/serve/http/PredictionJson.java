package dev.converge.serve.http;

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
public final class PredictionJson {
    private PredictionJson() {}

    /** A single request's answer: the prediction, the model, the latency and the cache and degraded flags. */
    public static JsonObject answer(PredictionOutcome o, double latencyMs) {
        if (o instanceof PredictionOutcome.Scored s) {
            return body(s.predictionId(), s.prediction(), s.model(), latencyMs, s.cached(), null, s.warnings());
        }
        if (o instanceof PredictionOutcome.Degraded d) {
            return body(d.predictionId(), d.prediction(), d.model(), latencyMs, d.cached(), d.reason(), d.warnings());
        }
        throw new IllegalArgumentException("not an answer: " + o);
    }

    /**
     * The same answer as {@link #answer}, encoded: written straight to text, not built as a {@link JsonObject} and
     * then serialised (a tenth of a cheap request's time on the event loop, measured: docs/perf.md). The bytes are
     * those {@code answer(o, latencyMs).encode()} gives, which {@code PredictionJsonTest} checks over generated
     * outcomes; a value this writer does not know (not a string, number, boolean or null) goes that way instead.
     */
    public static String answerText(PredictionOutcome o, double latencyMs) {
        String id;
        Prediction p;
        ModelRef model;
        boolean cached;
        String degraded;
        List<Violation> warnings;
        if (o instanceof PredictionOutcome.Scored s) {
            id = s.predictionId();
            p = s.prediction();
            model = s.model();
            cached = s.cached();
            degraded = null;
            warnings = s.warnings();
        } else if (o instanceof PredictionOutcome.Degraded d) {
            id = d.predictionId();
            p = d.prediction();
            model = d.model();
            cached = d.cached();
            degraded = d.reason();
            warnings = d.warnings();
        } else {
            throw new IllegalArgumentException("not an answer: " + o);
        }
        Object value = p.value();
        if (!(value == null || value instanceof String || value instanceof Boolean || value instanceof Integer
                || value instanceof Long || value instanceof Double)) {
            return answer(o, latencyMs).encode();
        }
        StringBuilder b = new StringBuilder(400);
        b.append("{\"prediction_id\":");
        string(b, id);
        b.append(",\"prediction\":");
        scalar(b, value);
        if (p.probabilities() != null) {
            b.append(",\"probabilities\":{");
            boolean first = true;
            for (Map.Entry<String, Double> e : p.probabilities().entrySet()) {
                if (!first) {
                    b.append(',');
                }
                first = false;
                string(b, e.getKey());
                b.append(':');
                scalar(b, e.getValue());
            }
            b.append('}');
        }
        if (model != null) {
            b.append(",\"model\":{\"name\":");
            string(b, model.name());
            b.append(",\"version\":").append(model.version()).append(",\"variant\":");
            string(b, model.variant());
            if (model.threshold() != null) {
                b.append(",\"threshold\":");
                scalar(b, model.threshold());
                b.append(",\"threshold_metric\":");
                string(b, model.thresholdMetric());
            }
            if (model.positiveClass() != null) {
                b.append(",\"positive_class\":");
                string(b, model.positiveClass());
            }
            b.append('}');
            if (model.threshold() != null) {
                b.append(",\"threshold\":");
                scalar(b, model.threshold());
            }
            b.append(",\"latency_ms\":");
            scalar(b, latencyMs);
        }
        b.append(",\"cached\":").append(cached).append(",\"degraded\":").append(degraded != null);
        if (degraded != null) {
            b.append(",\"degraded_reason\":");
            string(b, degraded);
        }
        if (!warnings.isEmpty()) {
            b.append(",\"warnings\":[");
            for (int i = 0; i < warnings.size(); i++) {
                Violation v = warnings.get(i);
                b.append(i == 0 ? "{\"field\":" : ",{\"field\":");
                string(b, v.feature());
                b.append(",\"reason\":");
                string(b, v.reason());
                b.append(",\"message\":");
                string(b, v.message());
                b.append('}');
            }
            b.append(']');
        }
        return b.append('}').toString();
    }

    /** A string, boolean, integer, double or null as Jackson writes it (non-finite doubles as quoted text). */
    private static void scalar(StringBuilder b, Object v) {
        if (v == null) {
            b.append("null");
        } else if (v instanceof String s) {
            string(b, s);
        } else if (v instanceof Double d) {
            if (Double.isFinite(d)) {
                b.append(d.doubleValue());
            } else {
                b.append('"').append(d.doubleValue()).append('"');
            }
        } else {
            b.append(v);
        }
    }

    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    /** A JSON string as Jackson escapes it: quote, backslash and control characters; nothing else. */
    private static void string(StringBuilder b, String s) {
        if (s == null) {
            b.append("null");
            return;
        }
        b.append('"');
        int from = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c >= 0x20 && c != '"' && c != '\\') {
                continue;
            }
            b.append(s, from, i);
            from = i + 1;
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                case '\b' -> b.append("\\b");
                case '\f' -> b.append("\\f");
                default -> b.append("\\u00").append(HEX[c >> 4]).append(HEX[c & 0xF]);
            }
        }
        b.append(s, from, s.length()).append('"');
    }

    /** One row of a batch answer, with its index; a row that could not be scored says why, per field. */
    public static JsonObject batchItem(int index, PredictionOutcome o) {
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
    public static JsonObject model(ModelRef m) {
        JsonObject o = new JsonObject().put("name", m.name()).put("version", m.version()).put("variant", m.variant());
        if (m.threshold() != null) {
            o.put("threshold", m.threshold()).put("threshold_metric", m.thresholdMetric());
        }
        if (m.positiveClass() != null) {
            o.put("positive_class", m.positiveClass());
        }
        return o;
    }

    /** The violation an unknown entity is reported as. */
    public static Violation unknownEntity(PredictionOutcome.UnknownEntity u) {
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

    public static JsonObject error(String code, String message, List<Violation> violations) {
        JsonObject o = new JsonObject().put("error", code).put("message", message);
        if (violations != null && !violations.isEmpty()) {
            o.put("errors", violations(violations));
        }
        return o;
    }

    public static JsonArray violations(List<Violation> violations) {
        JsonArray a = new JsonArray();
        for (Violation v : violations) {
            a.add(new JsonObject().put("field", v.feature()).put("reason", v.reason()).put("message", v.message()));
        }
        return a;
    }
}
