package dev.converge.contracts;

import java.util.Locale;

/** The value domain of a feature. Each type has exactly one normalized Java representation. */
public enum FeatureType {
    /** A finite double (NaN and infinities only when the spec allows them). */
    NUMERIC,
    /** A string drawn from an optional set of levels. */
    CATEGORICAL,
    /** {@link Boolean}. */
    BOOLEAN,
    /** {@link java.time.Instant}. */
    TIMESTAMP,
    /** Free-form string. */
    TEXT,
    /**
     * A fixed-length vector of 32-bit floats (an embedding): {@link FeatureVector}. Stored apart from the documents
     * (a {@code real[]} column, indexed with pgvector where the extension is present) and always cold.
     */
    VECTOR;

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static FeatureType fromWireName(String name) {
        for (FeatureType t : values()) {
            if (t.wireName().equals(name)) {
                return t;
            }
        }
        throw new IllegalArgumentException("unknown feature type '" + name
                + "'; expected one of numeric, categorical, boolean, timestamp, text, vector");
    }
}
