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
 * @param missingNotSeen feature name to what was sent ({@code null} or a token) for a feature that is not nullable,
 *                   accepted as missing by a scoring validator ({@link FeatureValidator#forScoring}) so that the
 *                   answer can warn that training never saw it missing
 */
public record ValidationResult(Map<String, Object> values, List<Violation> violations, List<String> unknown,
                               Map<String, String> readAsMissing, Map<String, String> missingNotSeen) {

    public ValidationResult {
        values = values == null ? Map.of() : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(values));
        violations = List.copyOf(violations);
        unknown = List.copyOf(unknown);
        readAsMissing = readAsMissing == null || readAsMissing.isEmpty() ? Map.of()
                : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(readAsMissing));
        missingNotSeen = missingNotSeen == null || missingNotSeen.isEmpty() ? Map.of()
                : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(missingNotSeen));
    }

    public ValidationResult(Map<String, Object> values, List<Violation> violations, List<String> unknown,
                            Map<String, String> readAsMissing) {
        this(values, violations, unknown, readAsMissing, Map.of());
    }

    public ValidationResult(Map<String, Object> values, List<Violation> violations, List<String> unknown) {
        this(values, violations, unknown, Map.of(), Map.of());
    }

    public boolean valid() {
        return violations.isEmpty();
    }
}
