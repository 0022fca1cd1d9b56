package dev.converge.contracts;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The one validation path for ingestion, training and serving. It never coerces: a JSON string "12" for a numeric
 * feature is an error, as is NaN unless the spec allows it. Text tokens from untyped formats ({@link RawText}) are
 * parsed with each type's strict grammar. Every violation names the feature, the value and the reason.
 *
 * <p>Accepted inputs per type, and the normalized output:
 * <ul>
 *   <li>numeric: any {@link Number} except NaN and infinities (unless allowed), or a RawText matching the JSON
 *       number grammar; normalized to {@link Double}</li>
 *   <li>categorical and text: {@link String} or RawText; normalized to String</li>
 *   <li>boolean: {@link Boolean}, or RawText {@code true}/{@code false} in any case; normalized to Boolean</li>
 *   <li>timestamp: {@link Instant}, or an ISO-8601 string with an offset ({@code 2024-05-01T10:00:00Z}) or a date
 *       ({@code 2024-05-01}, taken as midnight UTC); normalized to Instant</li>
 *   <li>vector: an array of exactly {@code dimension} finite numbers, or its JSON text; normalized to a
 *       {@link FeatureVector} of 32-bit floats</li>
 * </ul>
 * An empty RawText is a null. Thread-safe and immutable.
 */
public final class FeatureValidator {
    private static final Pattern JSON_NUMBER = Pattern.compile("-?(0|[1-9][0-9]*)(\\.[0-9]+)?([eE][+-]?[0-9]+)?");
    private static final int MAX_RENDERED_VALUE = 200;

    private final FeatureSchema schema;
    private final UnknownFeaturePolicy unknownPolicy;
    private final boolean scoring;

    /** The store's validator: a feature that is not nullable refuses a null or a missing-value token. */
    public FeatureValidator(FeatureSchema schema, UnknownFeaturePolicy unknownPolicy) {
        this(schema, unknownPolicy, false);
    }

    private FeatureValidator(FeatureSchema schema, UnknownFeaturePolicy unknownPolicy, boolean scoring) {
        this.schema = Objects.requireNonNull(schema, "schema");
        this.unknownPolicy = Objects.requireNonNull(unknownPolicy, "unknownPolicy");
        this.scoring = scoring;
    }

    /**
     * The serving validator for a model's schema. "Not nullable" in a schema is the store's contract (every stored row
     * had a value), not the model's: an H2O model scores a missing value for every feature (a tree's missing
     * direction, a GLM's imputation). So a request that <em>sends</em> a missing value (null, or one of the schema's
     * missing-value tokens) for a feature that was never missing in training is scored as missing, and the result
     * names it in {@link ValidationResult#missingNotSeen()} so that the answer can warn. A feature left out of the
     * request is still refused as missing: a missing value must be said, not forgotten.
     */
    public static FeatureValidator forScoring(FeatureSchema schema) {
        return new FeatureValidator(schema, UnknownFeaturePolicy.REJECT, true);
    }

    public FeatureSchema schema() {
        return schema;
    }

    /** The schema's feature names for a message: all of them, or the first ten and how many more. */
    private String knownNames() {
        List<String> names = schema.names();
        return names.size() <= 10 ? String.join(", ", names)
                : String.join(", ", names.subList(0, 10)) + ", and " + (names.size() - 10) + " more";
    }

    /** Validates a complete row: every non-nullable feature of the schema must be present. */
    public ValidationResult validate(Map<String, ?> input) {
        return validate(input, true);
    }

    /**
     * Validates the features present in {@code input}. When {@code requireAll} is false, absent features are not
     * reported (used when request features are merged over stored ones, and the merge is then validated whole).
     */
    public ValidationResult validate(Map<String, ?> input, boolean requireAll) {
        List<Violation> violations = new ArrayList<>();
        List<String> unknown = new ArrayList<>();
        Map<String, Object> values = new LinkedHashMap<>();
        Map<String, String> readAsMissing = null;
        Map<String, String> missingNotSeen = null;
        for (String key : input.keySet()) {
            if (schema.feature(key).isEmpty()) {
                if (unknownPolicy == UnknownFeaturePolicy.REJECT) {
                    violations.add(new Violation(Violation.fieldName(key), render(input.get(key)), "unknown_feature",
                            "feature '" + key + "' is not one of the schema's " + schema.features().size()
                                    + " features (" + knownNames() + ")"));
                } else {
                    unknown.add(key);
                }
            }
        }
        for (FeatureSpec spec : schema.features()) {
            boolean present = input.containsKey(spec.name());
            if (!present && !requireAll) {
                continue;
            }
            Object raw = input.get(spec.name());
            String token = missingToken(spec, raw);
            if (token != null) {
                if (!token.isEmpty()) {
                    if (readAsMissing == null) {
                        readAsMissing = new LinkedHashMap<>();
                    }
                    readAsMissing.put(spec.name(), token);
                }
                raw = null;
            }
            if (scoring && present && !spec.nullable() && (raw == null || raw instanceof RawText t && t.text().isEmpty())) {
                if (missingNotSeen == null) {
                    missingNotSeen = new LinkedHashMap<>();
                }
                missingNotSeen.put(spec.name(), token == null ? "null" : token);
                values.put(spec.name(), null);
                continue;
            }
            int before = violations.size();
            Object value = normalize(spec, raw, present, token, violations);
            if (violations.size() == before) {
                values.put(spec.name(), value);
            }
        }
        if (!violations.isEmpty()) {
            return new ValidationResult(Map.of(), violations, unknown);
        }
        return new ValidationResult(values, List.of(), unknown, readAsMissing, missingNotSeen);
    }

    /**
     * The text of {@code raw} when it is one of the schema's missing-value tokens (or the empty cell), else null.
     * A numeric feature that allows non-finite values keeps its spellings of them ({@code NaN}, {@code Infinity}):
     * that is how the store keeps such values.
     */
    private String missingToken(FeatureSpec spec, Object raw) {
        String text = raw instanceof RawText t ? t.text() : raw instanceof String s ? s : null;
        if (text == null || !schema.isMissing(text) || text.isEmpty() && raw instanceof String) {
            return null; // an empty JSON string is a value (refused or kept by type), not a missing cell
        }
        if (spec.allowNonFinite() && FeatureEncoding.nonFiniteOrNull(text) != null) {
            return null;
        }
        return text;
    }

    /**
     * Validates one value against one spec; returns the normalized value or adds violations. {@code token} is the
     * missing-value token that {@code raw} was read from (null when none), so that a refusal quotes what was sent.
     */
    static Object normalize(FeatureSpec spec, Object raw, boolean present, String token, List<Violation> out) {
        if (raw instanceof RawText text && text.text().isEmpty()) {
            raw = null;
            token = "";
        }
        if (raw == null) {
            if (!spec.nullable()) {
                String sent = token == null ? "null" : token.isEmpty() ? "an empty cell"
                        : "\"" + token + "\" (one of the schema's missing values)";
                out.add(new Violation(spec.name(), token == null || token.isEmpty() ? null : token,
                        present ? "null_not_allowed" : "missing",
                        present ? "feature '" + spec.name() + "' is not nullable (the schema says it is never missing)"
                                + " but was " + sent : "required feature '" + spec.name() + "' is missing"));
            }
            return null;
        }
        return switch (spec.type()) {
            case NUMERIC -> numeric(spec, raw, out);
            case CATEGORICAL -> categorical(spec, raw, out);
            case TEXT -> text(spec, raw, out);
            case BOOLEAN -> bool(spec, raw, out);
            case TIMESTAMP -> timestamp(spec, raw, out);
            case VECTOR -> vector(spec, raw, out);
        };
    }

    /**
     * A vector: a JSON array of exactly {@code dimension} finite numbers (from JSON, or as text in a CSV cell:
     * {@code "[0.1, 0.2]"}), each within a float's range; normalized to a {@link FeatureVector} of 32-bit floats,
     * the precision the store keeps. A value already normalized is taken as it is.
     */
    private static Object vector(FeatureSpec spec, Object raw, List<Violation> out) {
        if (raw instanceof FeatureVector v) {
            return v.dimension() == spec.dimension() ? v : wrongDimension(spec, raw, v.dimension(), out);
        }
        List<?> items;
        if (raw instanceof RawText || raw instanceof String) {
            items = parseArray(raw.toString());
            if (items == null) {
                return wrong(spec, raw, "a JSON array of " + spec.dimension() + " numbers", out);
            }
        } else if (raw instanceof List<?> l) {
            items = l;
        } else if (raw instanceof Iterable<?> it && !(raw instanceof Map)) { // a JsonArray of a request
            List<Object> copy = new ArrayList<>();
            it.forEach(copy::add);
            items = copy;
        } else {
            return wrong(spec, raw, "an array of " + spec.dimension() + " numbers", out);
        }
        if (items.size() != spec.dimension()) {
            return wrongDimension(spec, raw, items.size(), out);
        }
        float[] values = new float[items.size()];
        for (int i = 0; i < values.length; i++) {
            Object x = items.get(i);
            if (!(x instanceof Number)) {
                out.add(new Violation(spec.name(), render(raw), "wrong_type", "feature '" + spec.name() + "' (vector)"
                        + " must hold numbers only; component " + i + " was " + (x == null ? "null"
                        : describe(x) + " " + render(x))));
                return null;
            }
            double d = ((Number) x).doubleValue();
            if (!Double.isFinite(d) || Math.abs(d) > Float.MAX_VALUE) {
                out.add(new Violation(spec.name(), render(raw), Double.isFinite(d) ? "out_of_range" : "non_finite",
                        "feature '" + spec.name() + "' (vector) component " + i + " must be a finite number within a"
                                + " 32-bit float's range (|x| <= " + Float.MAX_VALUE + "), was " + x));
                return null;
            }
            float f = (float) d;
            values[i] = f == 0f ? 0f : f; // one zero, as for numeric features
        }
        return FeatureVector.wrap(values);
    }

    private static Object wrongDimension(FeatureSpec spec, Object raw, int got, List<Violation> out) {
        out.add(new Violation(spec.name(), render(raw), "wrong_dimension", "feature '" + spec.name()
                + "' is a vector of " + spec.dimension() + " numbers, was one of " + got));
        return null;
    }

    /**
     * A JSON array of JSON numbers, as text, to its numbers (Doubles); null when the text is anything else. Strict:
     * no trailing comma, no bare NaN, nothing after the closing bracket.
     */
    static List<Object> parseArray(String text) {
        String t = text.strip();
        if (t.length() < 2 || t.charAt(0) != '[' || t.charAt(t.length() - 1) != ']') {
            return null;
        }
        String body = t.substring(1, t.length() - 1).strip();
        List<Object> out = new ArrayList<>();
        if (body.isEmpty()) {
            return out;
        }
        for (String part : body.split(",", -1)) {
            String p = part.strip();
            if (!isNumberToken(p)) {
                return null;
            }
            out.add(Double.parseDouble(p));
        }
        return out;
    }

    private static Object numeric(FeatureSpec spec, Object raw, List<Violation> out) {
        double v;
        Double nonFinite = !spec.allowNonFinite() ? null : raw instanceof RawText t ? FeatureEncoding.nonFiniteOrNull(
                t.text()) : raw instanceof String str ? FeatureEncoding.nonFiniteOrNull(str) : null;
        if (nonFinite != null) {
            // A feature that allows them: "NaN", "Infinity", "-Infinity" as text, the way the store keeps them
            // (JSON has no such numbers), so what was stored is served and what is served can be stored.
            v = nonFinite;
        } else if (raw instanceof RawText text) {
            if (!isNumberToken(text.text())) {
                return wrong(spec, raw, "a number", out);
            }
            v = Double.parseDouble(text.text());
            if (Double.isInfinite(v)) {
                out.add(new Violation(spec.name(), render(raw), "out_of_range",
                        "feature '" + spec.name() + "' value " + render(raw) + " overflows a double"));
                return null;
            }
        } else if (raw instanceof Double || raw instanceof Float || raw instanceof Long || raw instanceof Integer
                || raw instanceof Short || raw instanceof Byte || raw instanceof BigDecimal
                || raw instanceof BigInteger) {
            v = ((Number) raw).doubleValue();
        } else {
            return wrong(spec, raw, "a number", out);
        }
        if (!Double.isFinite(v) && !spec.allowNonFinite()) {
            out.add(new Violation(spec.name(), render(raw), "non_finite",
                    "feature '" + spec.name() + "' must be a finite number, was " + render(raw)));
            return null;
        }
        if (spec.min() != null && v < spec.min() || spec.max() != null && v > spec.max()) {
            out.add(new Violation(spec.name(), render(raw), "out_of_range",
                    "feature '" + spec.name() + "' must be within [" + bound(spec.min()) + ", " + bound(spec.max())
                            + "], was " + render(raw)));
            return null;
        }
        return v == 0.0 ? 0.0 : v; // one zero: -0.0 and 0.0 are the same feature value
    }

    private static Object categorical(FeatureSpec spec, Object raw, List<Violation> out) {
        Object s = text(spec, raw, out);
        if (s != null && !spec.levels().isEmpty() && !spec.levels().contains(s)) {
            out.add(new Violation(spec.name(), render(raw), "unknown_level",
                    "feature '" + spec.name() + "' value " + render(raw) + " is not one of its "
                            + spec.levels().size() + " levels"));
            return null;
        }
        return s;
    }

    private static Object text(FeatureSpec spec, Object raw, List<Violation> out) {
        String s = raw instanceof String str ? str : raw instanceof RawText t ? t.text() : null;
        if (s == null) {
            return wrong(spec, raw, "a string", out);
        }
        if (s.indexOf('\0') >= 0) {
            out.add(new Violation(spec.name(), render(raw), "nul_character",
                    "feature '" + spec.name() + "' must not contain the NUL character (U+0000)"));
            return null;
        }
        int lone = EntityId.unpairedSurrogate(s);
        if (lone >= 0) {
            out.add(new Violation(spec.name(), render(raw), "invalid_unicode", "feature '" + spec.name()
                    + "' contains an unpaired surrogate (U+" + Integer.toHexString(s.charAt(lone)).toUpperCase(
                    java.util.Locale.ROOT) + ") at index " + lone + ": it is not valid Unicode text"));
            return null;
        }
        return s;
    }

    private static Object bool(FeatureSpec spec, Object raw, List<Violation> out) {
        if (raw instanceof Boolean b) {
            return b;
        }
        if (raw instanceof RawText t) {
            if (t.text().equalsIgnoreCase("true")) {
                return Boolean.TRUE;
            }
            if (t.text().equalsIgnoreCase("false")) {
                return Boolean.FALSE;
            }
        }
        return wrong(spec, raw, "a boolean (true or false)", out);
    }

    /** The timestamps converge accepts: ISO-8601's four-digit years, all representable as epoch milliseconds. */
    public static final Instant EARLIEST_TIMESTAMP = Instant.parse("0001-01-01T00:00:00Z");
    public static final Instant LATEST_TIMESTAMP = Instant.parse("9999-12-31T23:59:59.999999999Z");

    private static Object timestamp(FeatureSpec spec, Object raw, List<Violation> out) {
        if (raw instanceof Instant i) {
            return inRange(spec, raw, i, out);
        }
        String s = raw instanceof String str ? str : raw instanceof RawText t ? t.text() : null;
        if (s == null) {
            return wrong(spec, raw, "an ISO-8601 timestamp string", out);
        }
        Instant parsed = parseTimestamp(s);
        if (parsed == null) {
            out.add(new Violation(spec.name(), render(raw), "bad_timestamp",
                    "feature '" + spec.name() + "' must be an ISO-8601 timestamp with an offset"
                            + " (2024-05-01T10:00:00Z) or a date (2024-05-01), was " + render(raw)));
            return null;
        }
        return inRange(spec, raw, parsed, out);
    }

    private static Instant inRange(FeatureSpec spec, Object raw, Instant t, List<Violation> out) {
        if (t.isBefore(EARLIEST_TIMESTAMP) || t.isAfter(LATEST_TIMESTAMP)) {
            out.add(new Violation(spec.name(), render(raw), "timestamp_out_of_range", "feature '" + spec.name()
                    + "' must be a timestamp between " + EARLIEST_TIMESTAMP + " and " + LATEST_TIMESTAMP + ", was "
                    + render(raw)));
            return null;
        }
        return t;
    }

    /** Parses an ISO-8601 instant with an offset, or a date taken as midnight UTC; null when it is neither. */
    public static Instant parseTimestamp(String s) {
        try {
            if (s.length() == 10) {
                return LocalDate.parse(s).atStartOfDay(ZoneOffset.UTC).toInstant();
            }
            return OffsetDateTime.parse(s).toInstant();
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    /**
     * True when the token matches the strict JSON number grammar, {@code -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?}.
     * Scanned by hand: a regex match per numeric cell was a tenth of the ingestion reader's CPU
     * ({@code FeatureValidatorTest} checks it against the pattern).
     */
    public static boolean isNumberToken(String s) {
        int n = s.length();
        int i = 0;
        if (i < n && s.charAt(i) == '-') {
            i++;
        }
        if (i >= n) {
            return false;
        }
        if (s.charAt(i) == '0') {
            i++;
        } else if (s.charAt(i) >= '1' && s.charAt(i) <= '9') {
            i = digits(s, i + 1);
        } else {
            return false;
        }
        if (i < n && s.charAt(i) == '.') {
            int from = i + 1;
            i = digits(s, from);
            if (i == from) {
                return false;
            }
        }
        if (i < n && (s.charAt(i) == 'e' || s.charAt(i) == 'E')) {
            i++;
            if (i < n && (s.charAt(i) == '+' || s.charAt(i) == '-')) {
                i++;
            }
            int from = i;
            i = digits(s, from);
            if (i == from) {
                return false;
            }
        }
        return i == n;
    }

    private static int digits(String s, int i) {
        while (i < s.length() && s.charAt(i) >= '0' && s.charAt(i) <= '9') {
            i++;
        }
        return i;
    }

    /** The grammar {@link #isNumberToken} scans, as a pattern (for tests that compare the two). */
    static boolean matchesNumberPattern(String s) {
        return JSON_NUMBER.matcher(s).matches();
    }

    private static Object wrong(FeatureSpec spec, Object raw, String expected, List<Violation> out) {
        out.add(new Violation(spec.name(), render(raw), "wrong_type",
                "feature '" + spec.name() + "' (" + spec.type().wireName() + ") must be " + expected + ", was "
                        + describe(raw) + " " + render(raw)));
        return null;
    }

    private static String bound(Double b) {
        return b == null ? "unbounded" : Double.toString(b);
    }

    private static String describe(Object raw) {
        if (raw instanceof RawText) {
            return "text";
        }
        if (raw instanceof String) {
            return "string";
        }
        if (raw instanceof Boolean) {
            return "boolean";
        }
        if (raw instanceof Number) {
            return "number";
        }
        if (raw instanceof Map) {
            return "object";
        }
        if (raw instanceof List) {
            return "array";
        }
        return raw.getClass().getSimpleName();
    }

    /** The value as a person would read it in an error: strings quoted, long values cut. */
    public static String render(Object raw) {
        if (raw == null) {
            return null;
        }
        String s = raw instanceof String || raw instanceof RawText ? "\"" + raw + "\"" : String.valueOf(raw);
        return s.length() <= MAX_RENDERED_VALUE ? s : s.substring(0, MAX_RENDERED_VALUE) + "...(" + s.length() + " chars)";
    }
}
