package dev.converge.contracts;

import java.time.Instant;

/**
 * How a feature value becomes a model input, identically in training (H2O frames) and serving (h2o-genmodel
 * rows), so the two never skew: numeric features are doubles, timestamps are epoch milliseconds (doubles),
 * categorical features are their string, booleans are the strings "true" and "false", text is not a model input,
 * and a vector of n components is n numeric inputs named {@code name[0]} .. {@code name[n-1]}.
 * Accepts validated values (Double, Instant, Boolean, String) and values as stored in JSON (any Number, ISO
 * strings, the strings "NaN", "Infinity", "-Infinity").
 */
public final class FeatureEncoding {
    private FeatureEncoding() {}

    /** Whether the type is a numeric model input (else categorical). */
    public static boolean numeric(FeatureType type) {
        return type == FeatureType.NUMERIC || type == FeatureType.TIMESTAMP || type == FeatureType.VECTOR;
    }

    /** The model input for one value: a Double, a String, or null for missing. */
    public static Object encode(FeatureType type, Object value) {
        if (value == null) {
            return null;
        }
        return switch (type) {
            case NUMERIC -> value instanceof Number n ? n.doubleValue() : nonFinite(value.toString());
            case TIMESTAMP -> (double) (value instanceof Instant i ? i : Instant.parse(value.toString())).toEpochMilli();
            case BOOLEAN, CATEGORICAL -> value.toString();
            case TEXT -> throw new IllegalArgumentException("text features are not model inputs");
            case VECTOR -> throw new IllegalArgumentException("a vector is " + "n model inputs: use component()");
        };
    }

    /** The model input columns of a feature: its name, or one per component of a vector; none for text. */
    public static java.util.List<String> columns(FeatureSpec spec) {
        if (spec.type() == FeatureType.TEXT) {
            return java.util.List.of();
        }
        if (spec.type() != FeatureType.VECTOR) {
            return java.util.List.of(spec.name());
        }
        String[] out = new String[spec.dimension()];
        for (int i = 0; i < out.length; i++) {
            out[i] = vectorColumn(spec.name(), i);
        }
        return java.util.List.of(out);
    }

    /** The feature a model input column comes from: the feature of that name, or the vector it is a component of. */
    public static java.util.Optional<FeatureSpec> source(FeatureSchema schema, String column) {
        java.util.Optional<FeatureSpec> direct = schema.feature(column);
        if (direct.isPresent()) {
            return direct;
        }
        int open = column.lastIndexOf('[');
        if (open > 0 && column.endsWith("]")) {
            java.util.Optional<FeatureSpec> vector = schema.feature(column.substring(0, open))
                    .filter(s -> s.type() == FeatureType.VECTOR);
            int i = componentIndex(column, open);
            if (vector.isPresent() && i >= 0 && i < vector.get().dimension()) {
                return vector;
            }
        }
        return java.util.Optional.empty();
    }

    /**
     * A model input column's value in a row of feature values (as validated, logged or stored): the value of that
     * name, else the component of the vector the column names; null when absent.
     */
    public static Object columnValue(java.util.Map<String, ?> row, String column) {
        Object v = row.get(column);
        if (v != null || row.containsKey(column)) {
            return v;
        }
        int open = column.lastIndexOf('[');
        if (open > 0 && column.endsWith("]")) {
            Object vector = row.get(column.substring(0, open));
            int i = componentIndex(column, open);
            if (vector instanceof FeatureVector || vector instanceof java.util.List<?>) {
                int n = vector instanceof FeatureVector fv ? fv.dimension() : ((java.util.List<?>) vector).size();
                return i >= 0 && i < n ? component(vector, i) : null;
            }
        }
        return null;
    }

    private static int componentIndex(String column, int open) {
        try {
            return Integer.parseInt(column.substring(open + 1, column.length() - 1));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** The model input column of a vector's component {@code i}. */
    public static String vectorColumn(String feature, int i) {
        return feature + "[" + i + "]";
    }

    /**
     * Component {@code i} of a vector value as a model input: a validated {@link FeatureVector}, or a stored JSON
     * array of numbers (the store keeps 32-bit floats, so both read the same double). NaN for a missing vector.
     */
    public static double component(Object value, int i) {
        if (value == null) {
            return Double.NaN;
        }
        if (value instanceof FeatureVector v) {
            return v.get(i);
        }
        if (value instanceof java.util.List<?> l) {
            return (float) ((Number) l.get(i)).doubleValue();
        }
        throw new IllegalArgumentException("not a vector value: " + value.getClass().getName());
    }

    /**
     * The one spelling of non-finite numbers everywhere: stored (JSON has no NaN, so the store keeps them as these
     * strings), sent to the server, and read from CSV for a feature that allows them. Null for any other text.
     */
    public static Double nonFiniteOrNull(String s) {
        return switch (s) {
            case "NaN" -> Double.NaN;
            case "Infinity" -> Double.POSITIVE_INFINITY;
            case "-Infinity" -> Double.NEGATIVE_INFINITY;
            default -> null;
        };
    }

    private static double nonFinite(String s) {
        return switch (s) {
            case "NaN" -> Double.NaN;
            case "Infinity" -> Double.POSITIVE_INFINITY;
            case "-Infinity" -> Double.NEGATIVE_INFINITY;
            default -> throw new IllegalArgumentException("not a number: " + s);
        };
    }
}
