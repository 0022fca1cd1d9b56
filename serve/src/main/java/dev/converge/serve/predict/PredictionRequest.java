package dev.converge.serve.predict;

import java.util.Map;

/**
 * One request row, decoded and checked for shape: an entity whose online features to use, request features, or
 * both; and the event time the prediction is for (date-part features derive from it; null: now).
 */
public record PredictionRequest(String entityId, Map<String, Object> features, java.time.Instant eventTime) {
    public PredictionRequest {
        features = features == null ? Map.of() : features;
    }

    public PredictionRequest(String entityId, Map<String, Object> features) {
        this(entityId, features, null);
    }
}
