package dev.converge.serve.predict;

import java.util.Map;

/**
 * One request row, decoded and checked for shape: an entity whose online features to use, request features, or
 * both; the event time the prediction is for (date-part features derive from it; null: now); and the model version
 * the caller pins (null: the deployment routes it).
 */
public record PredictionRequest(String entityId, Map<String, Object> features, java.time.Instant eventTime,
                                Integer modelVersion) {
    public PredictionRequest {
        features = features == null ? Map.of() : features;
    }

    public PredictionRequest(String entityId, Map<String, Object> features, java.time.Instant eventTime) {
        this(entityId, features, eventTime, null);
    }

    public PredictionRequest(String entityId, Map<String, Object> features) {
        this(entityId, features, null);
    }
}
