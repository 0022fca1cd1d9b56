package dev.converge.contracts;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;

/**
 * The contract for one feature: its name, type, temperature, nullability and optional domain.
 *
 * @param name           the feature name as it appears in files, requests and the store
 * @param type           the value domain
 * @param temperature    hot (online, small) or cold (kept apart)
 * @param nullable       whether a missing or null value is accepted
 * @param min            inclusive lower bound for numeric features, or null
 * @param max            inclusive upper bound for numeric features, or null
 * @param levels         the allowed values of a categorical feature; empty means any string
 * @param allowNonFinite whether NaN and infinities are accepted for a numeric feature
 * @param dimension      the length of a vector feature ({@link #MAX_DIMENSION} at most); null for other types
 * @param metric         how a vector feature's values are compared in similarity search; null for other types
 */
public record FeatureSpec(
        String name,
        FeatureType type,
        Temperature temperature,
        boolean nullable,
        Double min,
        Double max,
        List<String> levels,
        boolean allowNonFinite,
        Integer dimension,
        VectorMetric metric) {

    public static final int MAX_NAME_LENGTH = 128;
    /** pgvector's HNSW index takes vectors of up to 2,000 dimensions. */
    public static final int MAX_DIMENSION = 2000;

    /** A feature of any type but vector. */
    public FeatureSpec(String name, FeatureType type, Temperature temperature, boolean nullable, Double min, Double max,
                       List<String> levels, boolean allowNonFinite) {
        this(name, type, temperature, nullable, min, max, levels, allowNonFinite, null, null);
    }

    public FeatureSpec {
        Objects.requireNonNull(type, "feature type must be set");
        Objects.requireNonNull(temperature, "feature temperature must be set");
        validateName(name);
        levels = levels == null ? List.of() : List.copyOf(levels);
        if (type != FeatureType.NUMERIC && (min != null || max != null || allowNonFinite)) {
            throw new IllegalArgumentException("feature '" + name + "': min, max and allowNonFinite apply only to"
                    + " numeric features, not " + type.wireName());
        }
        if (type != FeatureType.CATEGORICAL && !levels.isEmpty()) {
            throw new IllegalArgumentException("feature '" + name + "': levels apply only to categorical features,"
                    + " not " + type.wireName());
        }
        if (min != null && !Double.isFinite(min) || max != null && !Double.isFinite(max)) {
            throw new IllegalArgumentException("feature '" + name + "': min and max must be finite, was ["
                    + min + ", " + max + "]");
        }
        if (min != null && max != null && min > max) {
            throw new IllegalArgumentException("feature '" + name + "': min must be <= max, was [" + min + ", "
                    + max + "]");
        }
        if (type == FeatureType.VECTOR) {
            if (dimension == null || dimension < 1 || dimension > MAX_DIMENSION) {
                throw new IllegalArgumentException("feature '" + name + "': a vector needs a dimension between 1 and "
                        + MAX_DIMENSION + ", was " + dimension);
            }
            if (temperature != Temperature.COLD) {
                throw new IllegalArgumentException("feature '" + name + "': vector features are stored apart from the"
                        + " documents, as cold features are; declare it \"temperature\": \"cold\"");
            }
            metric = metric == null ? VectorMetric.COSINE : metric;
        } else if (dimension != null || metric != null) {
            throw new IllegalArgumentException("feature '" + name + "': dimension and metric apply only to vector"
                    + " features, not " + type.wireName());
        }
        if (new LinkedHashSet<>(levels).size() != levels.size()) {
            throw new IllegalArgumentException("feature '" + name + "': levels must be distinct, was " + levels);
        }
    }

    /** A spec with no domain restriction. */
    public static FeatureSpec of(String name, FeatureType type, Temperature temperature, boolean nullable) {
        return new FeatureSpec(name, type, temperature, nullable, null, null, List.of(), false);
    }

    /** A vector feature of {@code dimension} floats compared by {@code metric} (cosine when null); always cold. */
    public static FeatureSpec vector(String name, int dimension, VectorMetric metric, boolean nullable) {
        return new FeatureSpec(name, FeatureType.VECTOR, Temperature.COLD, nullable, null, null, List.of(), false,
                dimension, metric);
    }

    public FeatureSpec withTemperature(Temperature t) {
        return new FeatureSpec(name, type, t, nullable, min, max, levels, allowNonFinite, dimension, metric);
    }

    static void validateName(String name) {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("feature name must not be empty");
        }
        if (name.length() > MAX_NAME_LENGTH) {
            throw new IllegalArgumentException("feature name must be at most " + MAX_NAME_LENGTH
                    + " characters, was " + name.length() + ": '" + name.substring(0, 32) + "...'");
        }
        if (!name.strip().equals(name)) {
            throw new IllegalArgumentException("feature name must not start or end with whitespace: '" + name + "'");
        }
        for (int i = 0; i < name.length(); i++) {
            if (Character.isISOControl(name.charAt(i))) {
                throw new IllegalArgumentException("feature name must not contain control characters: '"
                        + name.replaceAll("\\p{Cntrl}", "?") + "'");
            }
        }
    }
}
