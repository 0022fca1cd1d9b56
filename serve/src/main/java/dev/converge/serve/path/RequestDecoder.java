package dev.converge.serve.path;

import dev.converge.contracts.EntityId;
import dev.converge.contracts.Violation;
import dev.converge.serve.predict.PredictionRequest;
import io.vertx.core.json.JsonObject;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Request decoding: a JSON-like value (a Vert.x {@link JsonObject} or a {@code Map}) to a {@link PredictionRequest},
 * or the violations that say, per field, why it is not one. The entity id follows {@link EntityId}'s rule.
 */
final class RequestDecoder {
    /** A decoded request, or (when {@code violations} is not empty) the reasons it could not be decoded. */
    record Decoded(PredictionRequest request, List<Violation> violations) {
        boolean ok() {
            return violations.isEmpty();
        }
    }

    private static final Set<String> REQUEST_KEYS = Set.of("entity_id", "features", "event_time", "model_version");

    private RequestDecoder() {}

    /** {@code prefix} names the row in field paths ("rows[3]." in a batch, "" for a single request). */
    @SuppressWarnings("unchecked")
    static Decoded decode(Object raw, String prefix) {
        List<Violation> out = new ArrayList<>();
        Map<String, Object> o = raw instanceof JsonObject j ? j.getMap()
                : raw instanceof Map<?, ?> m ? (Map<String, Object>) m : null;
        if (o == null) {
            out.add(new Violation(prefix.isEmpty() ? "(body)" : prefix.substring(0, prefix.length() - 1), null,
                    "not_an_object", "must be a JSON object with entity_id and/or features"));
            return new Decoded(null, out);
        }
        for (String k : o.keySet()) {
            if (!REQUEST_KEYS.contains(k)) {
                out.add(new Violation(prefix + Violation.fieldName(k), null, "unknown_field", "unknown field '" + k
                        + "'; a request has entity_id and/or features, and optionally event_time and model_version"));
            }
        }
        String entity = null;
        Object id = o.get("entity_id");
        if (id instanceof String s && EntityId.isValid(s)) {
            entity = s;
        } else if (id instanceof Integer || id instanceof Long || id instanceof BigInteger) {
            entity = id.toString();
        } else if (id != null) {
            String why = id instanceof String s ? "; " + EntityId.problem(s).orElseThrow() : "";
            out.add(new Violation(prefix + "entity_id", String.valueOf(id), "bad_entity_id",
                    "entity_id must be a string of " + EntityId.RULE + ", or an integer" + why));
        }
        Object f = o.get("features");
        Map<String, Object> features = Map.of();
        if (f instanceof JsonObject fo) {
            features = fo.getMap();
        } else if (f instanceof Map<?, ?> fm) {
            features = (Map<String, Object>) fm;
        } else if (f != null) {
            out.add(new Violation(prefix + "features", null, "not_an_object", "features must be a JSON object"));
        }
        java.time.Instant eventTime = null;
        Object et = o.get("event_time");
        if (et != null) {
            eventTime = et instanceof String s ? dev.converge.contracts.FeatureValidator.parseTimestamp(s) : null;
            if (eventTime == null) {
                out.add(new Violation(prefix + "event_time", String.valueOf(et), "bad_event_time", "event_time must be"
                        + " an ISO-8601 instant or date, e.g. 2024-06-01T00:00:00Z"));
            }
        }
        Integer pinned = null;
        Object mv = o.get("model_version");
        if (mv instanceof Integer i && i > 0) {
            pinned = i;
        } else if (mv != null) {
            out.add(new Violation(prefix + "model_version", String.valueOf(mv), "bad_model_version", "model_version"
                    + " must be a positive integer, a version of the model that is deployed"));
        }
        if (id == null && f == null) {
            out.add(new Violation(prefix + "(row)", null, "empty_request", "give an entity_id, features, or both"));
        }
        return new Decoded(out.isEmpty() ? new PredictionRequest(entity, features, eventTime, pinned) : null,
                List.copyOf(out));
    }
}
