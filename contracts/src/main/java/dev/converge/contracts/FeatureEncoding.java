package dev.converge.contracts;

import java.time.Instant;

/**
 * How a feature value becomes a model input, identically in training (H2O frames) and serving (h2o-genmodel
 * rows), so the two never skew: numeric features are doubles, timestamps are epoch milliseconds (doubles),
 * categorical features are their string, booleans are the strings "true" and "false", text is not a model input.
 * Accepts validated values (Double, Instant, Boolean, String) and values as stored in JSON (any Number, ISO
 * strings, the strings "NaN", "Infinity", "-Infinity").
 */
public final class FeatureEncoding {
    private FeatureEncoding() {}

    /** Whether the type is a numeric model input (else categorical). */
    public static boolean numeric(FeatureType type) {
        return type == FeatureType.NUMERIC || type == FeatureType.TIMESTAMP;
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
        };
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
