package dev.converge.serve.cache;

import dev.converge.model.Prediction;
import io.vertx.core.json.JsonObject;
import java.util.LinkedHashMap;
import java.util.Map;

/** A prediction as the cache stores it: the value and the class probabilities, in the model's class order. */
final class CacheCodec {
    private CacheCodec() {
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
