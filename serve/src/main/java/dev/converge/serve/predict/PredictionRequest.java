package dev.converge.serve.predict;

import java.util.Map;

/** One request row, decoded and checked for shape: an entity whose online features to use, request features, or both. */
public record PredictionRequest(String entityId, Map<String, Object> features) {
    public PredictionRequest {
        features = features == null ? Map.of() : features;
    }
}
