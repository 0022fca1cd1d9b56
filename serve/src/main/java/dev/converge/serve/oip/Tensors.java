package dev.converge.serve.oip;

import dev.converge.contracts.FeatureSpec;
import dev.converge.contracts.FeatureType;
import dev.converge.serve.model.ModelHandle;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * An Open Inference Protocol request's tensors as the prediction path's rows, and the model's features as tensor
 * metadata. One input tensor per feature (a column: shape {@code [N]} or {@code [N, 1]}, a vector feature
 * {@code [N, dim]}), plus the optional {@code entity_id} (BYTES), whose stored features are merged under the
 * request's as on {@code /v1/predict}. Types are strict, as on every other route: a numeric feature takes the
 * integer and floating-point datatypes, a boolean one BOOL, categorical, text and timestamp features BYTES (strings),
 * and an element of another JSON type than its datatype says is refused, never converted.
 */
final class Tensors {
    /** The optional input naming the entity whose stored features fill in the rest. */
    static final String ENTITY_ID = "entity_id";
    static final Set<String> NUMERIC_TYPES = Set.of("INT8", "INT16", "INT32", "INT64", "UINT8", "UINT16", "UINT32",
            "UINT64", "FP16", "FP32", "FP64");
    static final Set<String> ALL_TYPES = Set.of("BOOL", "BYTES", "INT8", "INT16", "INT32", "INT64", "UINT8", "UINT16",
            "UINT32", "UINT64", "FP16", "FP32", "FP64");

    private Tensors() {
    }

    /** A refusal of the request as a whole: OIP's {@code {"error": message}}, with the input it is about. */
    static final class Refused extends RuntimeException {
        Refused(String message) {
            super(message, null, false, false);
        }
    }

    /** The rows of an infer request, in order, as {@code /v1/predict/batch} takes them. */
    static List<JsonObject> rows(JsonObject body, ModelHandle model, Integer pinnedVersion, int maxRows) {
        Object in = body.getValue("inputs");
        if (!(in instanceof JsonArray inputs) || inputs.isEmpty()) {
            throw new Refused("\"inputs\" must be a non-empty array of tensors ({\"name\", \"shape\", \"datatype\","
                    + " \"data\"})");
        }
        String eventTime = eventTime(body);
        int n = -1;
        Map<String, List<Object>> columns = new LinkedHashMap<>();
        for (int t = 0; t < inputs.size(); t++) {
            if (!(inputs.getValue(t) instanceof JsonObject tensor)) {
                throw new Refused("inputs[" + t + "] must be an object");
            }
            String name = tensor.getValue("name") instanceof String s ? s : null;
            if (name == null || name.isEmpty()) {
                throw new Refused("inputs[" + t + "].name must be a non-empty string");
            }
            if (columns.containsKey(name)) {
                throw new Refused("input '" + name + "' is given twice");
            }
            List<Object> column = column(tensor, name, spec(model, name));
            if (n >= 0 && column.size() != n) {
                throw new Refused("input '" + name + "' has " + column.size() + " rows, the inputs before it " + n
                        + ": every input's first dimension is the batch size");
            }
            n = column.size();
            columns.put(name, column);
        }
        if (n == 0 || n > maxRows) {
            throw new Refused("a request holds 1.." + maxRows + " rows (serve.batch_max_rows), this one has " + n);
        }
        List<JsonObject> rows = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            JsonObject features = new JsonObject();
            JsonObject row = new JsonObject();
            for (Map.Entry<String, List<Object>> c : columns.entrySet()) {
                if (c.getKey().equals(ENTITY_ID)) {
                    row.put("entity_id", c.getValue().get(i));
                } else {
                    features.put(c.getKey(), c.getValue().get(i));
                }
            }
            row.put("features", features);
            if (eventTime != null) {
                row.put("event_time", eventTime);
            }
            if (pinnedVersion != null) {
                row.put("model_version", pinnedVersion);
            }
            rows.add(row);
        }
        return rows;
    }

    /**
     * The parameters a request sent that converge does not read (all but {@code parameters.event_time}: on the
     * request, its inputs and its outputs), to be said in the answer rather than dropped unsaid.
     */
    static List<String> ignoredParameters(JsonObject body) {
        List<String> out = new ArrayList<>();
        if (body.getValue("parameters") instanceof JsonObject p) {
            p.fieldNames().stream().filter(n -> !n.equals("event_time")).sorted()
                    .forEach(n -> out.add("parameters." + n));
        }
        for (String list : new String[] {"inputs", "outputs"}) {
            if (body.getValue(list) instanceof JsonArray a) {
                for (int i = 0; i < a.size(); i++) {
                    if (a.getValue(i) instanceof JsonObject t && t.getValue("parameters") instanceof JsonObject p) {
                        int at = i;
                        p.fieldNames().stream().sorted().forEach(n -> out.add(list + "[" + at + "].parameters." + n));
                    }
                }
            }
        }
        return out;
    }

    private static String eventTime(JsonObject body) {
        Object p = body.getValue("parameters");
        if (p == null) {
            return null;
        }
        if (!(p instanceof JsonObject params)) {
            throw new Refused("\"parameters\" must be an object");
        }
        Object t = params.getValue("event_time");
        if (t != null && !(t instanceof String)) {
            throw new Refused("parameters.event_time must be an ISO-8601 instant as a string");
        }
        return (String) t;
    }

    private static FeatureSpec spec(ModelHandle model, String name) {
        if (name.equals(ENTITY_ID)) {
            return null;
        }
        return model.schema().feature(name).orElseThrow(() -> new Refused("input '" + name + "' is not a feature"
                + " of model '" + model.name() + "' v" + model.version() + " (GET /v2/models/" + model.name()
                + " lists its inputs)"));
    }

    /** One input's values by row, checked against its shape and datatype and against the feature's type. */
    private static List<Object> column(JsonObject tensor, String name, FeatureSpec spec) {
        String datatype = tensor.getValue("datatype") instanceof String s ? s : null;
        if (datatype == null || !ALL_TYPES.contains(datatype)) {
            throw new Refused("input '" + name + "': datatype must be one of " + new java.util.TreeSet<>(ALL_TYPES)
                    + ", was " + tensor.getValue("datatype"));
        }
        FeatureType type = spec == null ? FeatureType.TEXT : spec.type();
        String expected = switch (type) {
            case NUMERIC, VECTOR -> "a numeric datatype (INT*, UINT*, FP*)";
            case BOOLEAN -> "BOOL";
            default -> "BYTES";
        };
        boolean fits = switch (type) {
            case NUMERIC, VECTOR -> NUMERIC_TYPES.contains(datatype);
            case BOOLEAN -> datatype.equals("BOOL");
            default -> datatype.equals("BYTES");
        };
        if (!fits) {
            throw new Refused("input '" + name + "' is " + (spec == null ? "the entity id" : "a " + type.wireName()
                    + " feature") + ": its datatype must be " + expected + ", was " + datatype);
        }
        int[] shape = shape(tensor, name);
        int width = type == FeatureType.VECTOR ? spec.dimension() : 1;
        boolean ok = type == FeatureType.VECTOR ? shape.length == 2 && shape[1] == width
                : shape.length == 1 || shape.length == 2 && shape[1] == 1;
        if (!ok) {
            throw new Refused("input '" + name + "': shape must be " + (type == FeatureType.VECTOR ? "[N, " + width
                    + "] (a vector of " + width + ")" : "[N] or [N, 1] (one value per row)") + ", was "
                    + java.util.Arrays.toString(shape));
        }
        List<Object> flat = new ArrayList<>();
        flatten(tensor.getValue("data"), flat, name);
        long count = (long) shape[0] * width;
        if (flat.size() != count) {
            throw new Refused("input '" + name + "': shape " + java.util.Arrays.toString(shape) + " holds " + count
                    + " elements, data has " + flat.size());
        }
        for (int i = 0; i < flat.size(); i++) {
            check(flat.get(i), datatype, name, i);
        }
        List<Object> out = new ArrayList<>(shape[0]);
        for (int r = 0; r < shape[0]; r++) {
            out.add(width == 1 && type != FeatureType.VECTOR ? flat.get(r)
                    : new JsonArray(new ArrayList<>(flat.subList(r * width, (r + 1) * width))));
        }
        return out;
    }

    private static int[] shape(JsonObject tensor, String name) {
        if (!(tensor.getValue("shape") instanceof JsonArray a) || a.isEmpty() || a.size() > 2) {
            throw new Refused("input '" + name + "': shape must be an array of one or two sizes");
        }
        int[] shape = new int[a.size()];
        for (int i = 0; i < a.size(); i++) {
            if (!(a.getValue(i) instanceof Number d) || d.doubleValue() != Math.rint(d.doubleValue())
                    || d.longValue() < 0 || d.longValue() > Integer.MAX_VALUE) {
                throw new Refused("input '" + name + "': shape[" + i + "] must be a non-negative integer, was "
                        + a.getValue(i));
            }
            shape[i] = d.intValue();
        }
        return shape;
    }

    /** Row-major data may be sent flat or nested; both are read flat. */
    private static void flatten(Object data, List<Object> out, String name) {
        if (!(data instanceof JsonArray a)) {
            throw new Refused("input '" + name + "': data must be an array");
        }
        for (Object o : a) {
            if (o instanceof JsonArray) {
                flatten(o, out, name);
            } else {
                out.add(o);
            }
        }
    }

    private static void check(Object v, String datatype, String name, int i) {
        boolean ok = switch (datatype) {
            case "BOOL" -> v instanceof Boolean;
            case "BYTES" -> v instanceof String;
            case "FP16", "FP32", "FP64" -> v instanceof Number;
            default -> v instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue())
                    && (!datatype.startsWith("U") || n.doubleValue() >= 0);
        };
        if (!ok) {
            throw new Refused("input '" + name + "': data[" + i + "] is " + (v == null ? "null" : v instanceof String
                    ? "a string" : v instanceof Boolean ? "a boolean" : "the number " + v) + ", not a " + datatype
                    + " element" + (v == null ? " (a tensor holds no nulls: leave the feature out, or send the"
                    + " schema's missing token as BYTES)" : ""));
        }
    }

    /** The model's inputs as OIP metadata tensors, in schema order, then {@code entity_id}. */
    static JsonArray inputs(ModelHandle model) {
        JsonArray a = new JsonArray();
        for (FeatureSpec f : model.schema().features()) {
            if (f.name().equals(model.label())) {
                continue;
            }
            String datatype = switch (f.type()) {
                case NUMERIC, VECTOR -> "FP64";
                case BOOLEAN -> "BOOL";
                default -> "BYTES";
            };
            a.add(new JsonObject().put("name", f.name()).put("datatype", datatype).put("shape",
                    f.type() == FeatureType.VECTOR ? new JsonArray().add(-1).add(f.dimension())
                            : new JsonArray().add(-1)));
        }
        return a.add(new JsonObject().put("name", ENTITY_ID).put("datatype", "BYTES").put("shape",
                new JsonArray().add(-1)));
    }

    /** The outputs an infer answer can hold: the prediction, a classifier's probabilities, ids and versions. */
    static JsonArray outputs(ModelHandle model) {
        JsonArray a = new JsonArray().add(new JsonObject().put("name", "predict").put("datatype",
                model.classes().isEmpty() ? "FP64" : "BYTES").put("shape", new JsonArray().add(-1)));
        if (!model.classes().isEmpty()) {
            a.add(new JsonObject().put("name", "probabilities").put("datatype", "FP64").put("shape",
                    new JsonArray().add(-1).add(model.classes().size())));
        }
        return a.add(new JsonObject().put("name", "prediction_id").put("datatype", "BYTES")
                        .put("shape", new JsonArray().add(-1)))
                .add(new JsonObject().put("name", "model_version").put("datatype", "INT32")
                        .put("shape", new JsonArray().add(-1)));
    }
}
