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
 * An ordered set of feature specs with a stable fingerprint. The order is the column order that training and
 * scoring use; the fingerprint changes when, and only when, a spec or the order changes.
 */
public final class FeatureSchema {
    private final List<FeatureSpec> features;
    private final Map<String, FeatureSpec> byName;
    private final String fingerprint;

    public FeatureSchema(List<FeatureSpec> features) {
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
        this.fingerprint = computeFingerprint(this.features);
    }

    public List<FeatureSpec> features() {
        return features;
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
        return new FeatureSchema(next);
    }

    private static String computeFingerprint(List<FeatureSpec> specs) {
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
        return o instanceof FeatureSchema other && other.features.equals(features);
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
