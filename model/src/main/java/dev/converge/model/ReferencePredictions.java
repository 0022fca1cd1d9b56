package dev.converge.model;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The rows a model was checked on at export and genmodel's outputs for them (class probabilities, or the
 * regression value), stored with the model so that every loader can verify it reproduces them. The stored form of
 * the outputs is a list of {@code {"values": [..]}} objects; this record is the only reader and writer of it.
 */
public record ReferencePredictions(List<Map<String, Object>> rows, List<double[]> outputs) {
    public ReferencePredictions {
        if (rows.size() != outputs.size()) {
            throw new IllegalArgumentException("reference data has " + rows.size() + " rows but " + outputs.size()
                    + " outputs");
        }
        rows = List.copyOf(rows);
        outputs = List.copyOf(outputs);
    }

    public boolean isEmpty() {
        return rows.isEmpty();
    }

    /** The outputs in their stored form. */
    public List<Map<String, Object>> storedOutputs() {
        List<Map<String, Object>> out = new ArrayList<>();
        for (double[] o : outputs) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("values", o);
            out.add(m);
        }
        return out;
    }

    /** Reads the stored form; a malformed entry is an {@link IllegalArgumentException} naming its index. */
    public static ReferencePredictions fromStored(List<Map<String, Object>> rows, List<Map<String, Object>> stored) {
        List<double[]> outputs = new ArrayList<>();
        for (int i = 0; i < stored.size(); i++) {
            if (!(stored.get(i).get("values") instanceof List<?> values)) {
                throw new IllegalArgumentException("reference prediction " + i + " has no 'values' list");
            }
            double[] o = new double[values.size()];
            for (int k = 0; k < o.length; k++) {
                if (!(values.get(k) instanceof Number n)) {
                    throw new IllegalArgumentException("reference prediction " + i + ", output " + k
                            + " is not a number: " + values.get(k));
                }
                o[k] = n.doubleValue();
            }
            outputs.add(o);
        }
        return new ReferencePredictions(rows, outputs);
    }
}
