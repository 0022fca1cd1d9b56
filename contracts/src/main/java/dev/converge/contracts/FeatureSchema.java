package dev.converge.contracts;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * An ordered set of feature specs with a stable fingerprint, and the text tokens that mean "missing" in its data.
 * The order is the column order that training and scoring use; the fingerprint changes when, and only when, a spec,
 * the order or the missing-value tokens change.
 */
public final class FeatureSchema {
    /** What exports write for a missing value (R, pandas, SQL): the tokens a proposed schema starts with. */
    public static final List<String> COMMON_MISSING_VALUES = List.of("NA", "NaN", "null", "N/A");

    private final List<FeatureSpec> features;
    private final Map<String, FeatureSpec> byName;
    private final List<String> missingValues;
    private final java.util.Set<String> missingSet;
    private final String fingerprint;

    /** A schema whose only missing value is the empty text cell. */
    public FeatureSchema(List<FeatureSpec> features) {
        this(features, List.of());
    }

    /**
     * @param missingValues text that means "missing" wherever a value is read as text or sent as a string
     *                      (ingestion, serving), besides the empty cell; e.g. {@link #COMMON_MISSING_VALUES}
     */
    public FeatureSchema(List<FeatureSpec> features, List<String> missingValues) {
        if (features == null || features.isEmpty()) {
            throw new IllegalArgumentException("a feature schema needs at least one feature");
        }
        Map<String, FeatureSpec> index = new LinkedHashMap<>();
        for (FeatureSpec spec : features) {
            if (index.putIfAbsent(spec.name(), spec) != null) {
                throw new IllegalArgumentException("feature '" + spec.name() + "' appears twice in the schema");
            }
        }
        this.features = List.copyOf(features);
        this.byName = Collections.unmodifiableMap(index);
        this.missingValues = List.copyOf(new java.util.LinkedHashSet<>(missingValues));
        if (this.missingValues.contains("")) {
            throw new IllegalArgumentException("missing_values need not list the empty cell: it is always missing");
        }
        this.missingSet = java.util.Set.copyOf(this.missingValues);
        this.fingerprint = computeFingerprint(this.features, this.missingValues);
    }

    public List<FeatureSpec> features() {
        return features;
    }

    /** The tokens that mean "missing" besides the empty cell, in the order given. */
    public List<String> missingValues() {
        return missingValues;
    }

    /** Whether {@code text} means "missing" in this schema's data (the empty text always does). */
    public boolean isMissing(String text) {
        return text.isEmpty() || missingSet.contains(text);
    }

    /** The same features with these missing-value tokens. */
    public FeatureSchema withMissingValues(List<String> tokens) {
        return new FeatureSchema(features, tokens);
    }

    public Optional<FeatureSpec> feature(String name) {
        return Optional.ofNullable(byName.get(name));
    }

    public List<String> names() {
        return List.copyOf(byName.keySet());
    }

    public List<FeatureSpec> features(Temperature temperature) {
        List<FeatureSpec> out = new ArrayList<>();
        for (FeatureSpec spec : features) {
            if (spec.temperature() == temperature) {
                out.add(spec);
            }
        }
        return out;
    }

    /** sha256 (hex) of a canonical, length-prefixed encoding of every spec in order. */
    public String fingerprint() {
        return fingerprint;
    }

    /** A new schema with the given feature added at the end, or replaced in place when the name exists. */
    public FeatureSchema with(FeatureSpec spec) {
        List<FeatureSpec> next = new ArrayList<>(features);
        int at = next.indexOf(byName.get(spec.name()));
        if (at >= 0) {
            next.set(at, spec);
        } else {
            next.add(spec);
        }
        return new FeatureSchema(next, missingValues);
    }

    private static String computeFingerprint(List<FeatureSpec> specs, List<String> missing) {
        StringBuilder canonical = new StringBuilder("converge-schema-v1;");
        for (FeatureSpec s : specs) {
            field(canonical, s.name());
            field(canonical, s.type().wireName());
            field(canonical, s.temperature().wireName());
            field(canonical, Boolean.toString(s.nullable()));
            field(canonical, s.min() == null ? "-" : Double.toString(s.min()));
            field(canonical, s.max() == null ? "-" : Double.toString(s.max()));
            field(canonical, Integer.toString(s.levels().size()));
            for (String level : s.levels()) {
                field(canonical, level);
            }
            field(canonical, Boolean.toString(s.allowNonFinite()));
            if (s.dimension() != null) { // only vectors: every other spec's fingerprint stays as it was
                field(canonical, "vector");
                field(canonical, Integer.toString(s.dimension()));
                field(canonical, s.metric().wireName());
            }
        }
        if (!missing.isEmpty()) { // absent from schemas without tokens, whose fingerprints stay as they were
            canonical.append("missing;");
            for (String m : missing) {
                field(canonical, m);
            }
        }
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256")
                    .digest(canonical.toString().getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by every JDK", e);
        }
    }

    private static void field(StringBuilder out, String value) {
        out.append(value.length()).append(':').append(value).append(';');
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof FeatureSchema other && other.features.equals(features)
                && other.missingValues.equals(missingValues);
    }

    @Override
    public int hashCode() {
        return features.hashCode();
    }

    @Override
    public String toString() {
        return "FeatureSchema" + names() + "@" + fingerprint.substring(0, 12);
    }
}
