package dev.converge.serve.scoring;

import dev.converge.contracts.FeatureSchema;
import java.util.HashMap;
import java.util.Map;

/**
 * Feature assembly: the row a model is asked to score is the entity's stored features that the model uses, with
 * the request's features over them. Unknown request features are kept, so validation can refuse them by name.
 */
public final class FeatureAssembly {
    private FeatureAssembly() {}

    public static Map<String, Object> merge(FeatureSchema schema, Map<String, Object> stored, Map<String, Object> request) {
        if (stored.isEmpty()) { // inline features alone: the request's own map, read and never changed
            return request;
        }
        Map<String, Object> merged = new HashMap<>();
        for (String name : schema.names()) {
            if (stored.containsKey(name)) {
                merged.put(name, stored.get(name));
            }
        }
        merged.putAll(request);
        return merged;
    }
}
