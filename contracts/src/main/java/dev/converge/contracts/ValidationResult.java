package dev.converge.contracts;

import java.util.List;
import java.util.Map;

/**
 * The outcome of validating one row: either normalized values (in schema order) or the violations, never both.
 *
 * @param values     feature name to normalized value, in schema order; empty when invalid. Nulls are kept.
 * @param violations every problem found; empty when valid
 * @param unknown    feature names that were dropped under {@link UnknownFeaturePolicy#REPORT}
 * @param readAsMissing feature name to the missing-value token (the schema's {@code missing_values}) that was
 *                   read as null, so that the reader can say so
 */
public record ValidationResult(Map<String, Object> values, List<Violation> violations, List<String> unknown,
                               Map<String, String> readAsMissing) {

    public ValidationResult {
        values = values == null ? Map.of() : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(values));
        violations = List.copyOf(violations);
        unknown = List.copyOf(unknown);
        readAsMissing = readAsMissing == null || readAsMissing.isEmpty() ? Map.of()
                : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(readAsMissing));
    }

    public ValidationResult(Map<String, Object> values, List<Violation> violations, List<String> unknown) {
        this(values, violations, unknown, Map.of());
    }

    public boolean valid() {
        return violations.isEmpty();
    }
}
