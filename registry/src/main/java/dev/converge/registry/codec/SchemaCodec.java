package dev.converge.registry.codec;

import dev.converge.registry.codec.Json;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.converge.contracts.FeatureSchema;
import dev.converge.contracts.FeatureSpec;
import dev.converge.contracts.FeatureType;
import dev.converge.contracts.Temperature;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/** Reads and writes feature schemas as JSON: {@code {"features": [{"name": ..., "type": ..., ...}]}}. */
public final class SchemaCodec {
    private static final Set<String> SPEC_FIELDS =
            Set.of("name", "type", "temperature", "nullable", "min", "max", "levels", "allow_non_finite",
                    "dimension", "metric");

    private SchemaCodec() {}

    public static String toJson(FeatureSchema schema) {
        return Json.write(toTree(schema));
    }

    public static String toPrettyJson(FeatureSchema schema) {
        try {
            return Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(toTree(schema));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public static ObjectNode toTree(FeatureSchema schema) {
        ObjectNode root = Json.MAPPER.createObjectNode();
        ArrayNode features = root.putArray("features");
        for (FeatureSpec s : schema.features()) {
            ObjectNode f = features.addObject();
            f.put("name", s.name());
            f.put("type", s.type().wireName());
            f.put("temperature", s.temperature().wireName());
            f.put("nullable", s.nullable());
            if (s.min() != null) {
                f.put("min", s.min());
            }
            if (s.max() != null) {
                f.put("max", s.max());
            }
            if (!s.levels().isEmpty()) {
                ArrayNode levels = f.putArray("levels");
                s.levels().forEach(levels::add);
            }
            if (s.allowNonFinite()) {
                f.put("allow_non_finite", true);
            }
            if (s.dimension() != null) {
                f.put("dimension", s.dimension());
                f.put("metric", s.metric().wireName());
            }
        }
        if (!schema.missingValues().isEmpty()) {
            ArrayNode missing = root.putArray("missing_values");
            schema.missingValues().forEach(missing::add);
        }
        return root;
    }

    /** Parses a schema, naming the feature and the field of any error. */
    public static FeatureSchema fromJson(String json) {
        JsonNode root;
        try {
            root = Json.MAPPER.readTree(json);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException("schema is not valid JSON: " + e.getOriginalMessage(), e);
        }
        JsonNode features = root == null ? null : root.get("features");
        if (features == null || !features.isArray()) {
            throw new IllegalArgumentException("schema must be an object with a \"features\" array");
        }
        List<FeatureSpec> specs = new ArrayList<>();
        int i = 0;
        for (JsonNode f : features) {
            String where = "features[" + i++ + "]";
            if (!f.isObject()) {
                throw new IllegalArgumentException(where + " must be an object");
            }
            for (Iterator<String> it = f.fieldNames(); it.hasNext(); ) {
                String field = it.next();
                if (!SPEC_FIELDS.contains(field)) {
                    throw new IllegalArgumentException(where + ": unknown field '" + field + "'; known fields are "
                            + SPEC_FIELDS);
                }
            }
            String name = text(f, "name", where);
            where = where + " ('" + name + "')";
            try {
                List<String> levels = new ArrayList<>();
                if (f.has("levels")) {
                    if (!f.get("levels").isArray()) {
                        throw new IllegalArgumentException("levels must be an array of strings");
                    }
                    for (JsonNode l : f.get("levels")) {
                        if (!l.isTextual()) {
                            throw new IllegalArgumentException("levels must be strings, found " + l);
                        }
                        levels.add(l.asText());
                    }
                }
                FeatureType type = FeatureType.fromWireName(text(f, "type", where));
                JsonNode dim = f.get("dimension");
                if (dim != null && !dim.canConvertToExactIntegral()) {
                    throw new IllegalArgumentException("\"dimension\" must be a whole number, was " + dim);
                }
                // A vector's temperature is always cold; it may be left out.
                Temperature temperature = type == FeatureType.VECTOR && !f.has("temperature") ? Temperature.COLD
                        : Temperature.fromWireName(text(f, "temperature", where));
                specs.add(new FeatureSpec(name, type, temperature,
                        bool(f, "nullable", where, false),
                        number(f, "min", where),
                        number(f, "max", where),
                        levels,
                        bool(f, "allow_non_finite", where, false),
                        dim == null ? null : dim.canConvertToInt() ? dim.intValue() : Integer.MAX_VALUE,
                        f.has("metric") ? dev.converge.contracts.VectorMetric.fromWireName(text(f, "metric", where))
                                : null));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
            }
        }
        List<String> missing = new ArrayList<>();
        JsonNode m = root.get("missing_values");
        if (m != null) {
            if (!m.isArray()) {
                throw new IllegalArgumentException("missing_values must be an array of strings, e.g. "
                        + "[\"NA\", \"NaN\", \"null\", \"N/A\"]");
            }
            for (JsonNode t : m) {
                if (!t.isTextual()) {
                    throw new IllegalArgumentException("missing_values must be strings, found " + t);
                }
                missing.add(t.asText());
            }
        }
        for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
            String field = it.next();
            if (!field.equals("features") && !field.equals("missing_values")) {
                throw new IllegalArgumentException("schema: unknown field '" + field + "'; known fields are"
                        + " features, missing_values");
            }
        }
        return new FeatureSchema(specs, missing);
    }

    private static String text(JsonNode f, String field, String where) {
        JsonNode v = f.get(field);
        if (v == null || !v.isTextual()) {
            throw new IllegalArgumentException(where + ": \"" + field + "\" must be a string");
        }
        return v.asText();
    }

    private static boolean bool(JsonNode f, String field, String where, boolean dflt) {
        JsonNode v = f.get(field);
        if (v == null) {
            return dflt;
        }
        if (!v.isBoolean()) {
            throw new IllegalArgumentException(where + ": \"" + field + "\" must be true or false, was " + v);
        }
        return v.asBoolean();
    }

    private static Double number(JsonNode f, String field, String where) {
        JsonNode v = f.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isNumber()) {
            throw new IllegalArgumentException(where + ": \"" + field + "\" must be a number, was " + v);
        }
        return v.asDouble();
    }
}
