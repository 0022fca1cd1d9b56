package dev.converge.contracts;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Proposes a schema from a sample of rows, for new data sets. The proposal is strict on purpose (a column with no
 * nulls in the sample is not nullable; no ranges or levels are guessed), and it is meant to be read and edited.
 *
 * <p>Rules, per column: every non-null value a number, a boolean, or an ISO timestamp/date gives that type;
 * strings with at most {@link #MAX_LEVELS} distinct values, or fewer distinct values than half the non-null count,
 * are categorical; other strings are text; JSON arrays of numbers, all of one length n, are vectors of n (cold). Text is cold, the rest hot; then the hot columns with the widest values
 * move to cold until the widest hot document of the sample fits {@code hotBudgetBytes}.
 *
 * <p>Text that is one of the missing-value tokens ({@link FeatureSchema#COMMON_MISSING_VALUES} unless given) is a
 * null, as the empty cell is: a numeric column with a few {@code NA} cells is numeric and nullable, not text. The
 * proposed schema carries the tokens, so ingestion and serving read them the same way.
 */
public final class SchemaInference {
    public static final int MAX_LEVELS = 100;

    private final Map<String, Column> columns = new LinkedHashMap<>();
    private final Set<String> missing;
    private final List<String> missingTokens;
    private long rows;

    /** With the common missing-value tokens ({@link FeatureSchema#COMMON_MISSING_VALUES}). */
    public SchemaInference() {
        this(FeatureSchema.COMMON_MISSING_VALUES);
    }

    public SchemaInference(List<String> missingValues) {
        this.missingTokens = List.copyOf(missingValues);
        this.missing = Set.copyOf(missingValues);
    }

    /** Adds one sample row. Values are {@link RawText} (from CSV) or typed values (from JSON); null is missing. */
    public void add(Map<String, ?> row) {
        rows++;
        for (Map.Entry<String, ?> e : row.entrySet()) {
            Object v = e.getValue();
            String text = v instanceof RawText t ? t.text() : v instanceof String s ? s : null;
            columns.computeIfAbsent(e.getKey(), Column::new).add(text != null && missing.contains(text) ? null : v);
        }
        for (Column c : columns.values()) {
            if (!row.containsKey(c.name)) {
                c.add(null);
            }
        }
    }

    public long rows() {
        return rows;
    }

    public FeatureSchema propose(int hotBudgetBytes) {
        if (columns.isEmpty()) {
            throw new IllegalStateException("cannot infer a schema from an empty sample");
        }
        List<FeatureSpec> specs = new ArrayList<>();
        for (Column c : columns.values()) {
            FeatureType type = c.type();
            if (type == FeatureType.VECTOR) {
                specs.add(FeatureSpec.vector(c.name, c.dimension, null, c.nulls > 0));
                continue;
            }
            Temperature t = type == FeatureType.TEXT ? Temperature.COLD : Temperature.HOT;
            specs.add(FeatureSpec.of(c.name, type, t, c.nulls > 0));
        }
        // Demote the widest hot columns until the widest sample row's hot part fits the budget.
        List<Column> hotByWidth = new ArrayList<>();
        for (FeatureSpec s : specs) {
            if (s.temperature() == Temperature.HOT) {
                hotByWidth.add(columns.get(s.name()));
            }
        }
        hotByWidth.sort(Comparator.comparingInt((Column c) -> c.maxWidth).reversed());
        int hotWidth = 8; // the varlena and container headers of a jsonb object
        for (Column c : hotByWidth) {
            hotWidth += c.maxWidth;
        }
        for (Column c : hotByWidth) {
            if (hotWidth <= hotBudgetBytes) {
                break;
            }
            hotWidth -= c.maxWidth;
            for (int i = 0; i < specs.size(); i++) {
                if (specs.get(i).name().equals(c.name)) {
                    specs.set(i, specs.get(i).withTemperature(Temperature.COLD));
                }
            }
        }
        return new FeatureSchema(specs, missingTokens);
    }

    /**
     * What one entry takes in a jsonb object, as PostgreSQL stores it (not as JSON text, which is up to 1.5x
     * smaller for short numbers: 784 pixel columns sized by their text were stored 50% over the hot budget): the
     * key's bytes and its alignment, two 4-byte entry headers, and the value: a numeric's header and base-10000
     * digit groups aligned to 4 bytes, a string's bytes aligned, nothing for a boolean or null.
     */
    static int jsonbBytes(String name, Object v, String text) {
        int key = name.getBytes(java.nio.charset.StandardCharsets.UTF_8).length + 3;
        int value;
        boolean number = v instanceof Number || v instanceof RawText && FeatureValidator.isNumberToken(text);
        if (v instanceof Boolean || v instanceof RawText && (text.equalsIgnoreCase("true")
                || text.equalsIgnoreCase("false"))) {
            value = 0;
        } else if (number) {
            int digits = 0;
            for (int i = 0; i < text.length(); i++) {
                digits += Character.isDigit(text.charAt(i)) ? 1 : 0;
            }
            value = 4 + 2 * ((digits + 3) / 4 + 1) + 3; // header, groups (one more for a split point), alignment
        } else {
            value = text.getBytes(java.nio.charset.StandardCharsets.UTF_8).length + 3;
        }
        return key + 8 + value;
    }

    private static final class Column {
        final String name;
        long nulls;
        long nonNull;
        boolean allNumbers = true;
        boolean allBooleans = true;
        boolean allTimestamps = true;
        /** Every value a JSON array of numbers, all of one length (then {@link #dimension}). */
        boolean allVectors = true;
        int dimension = -1;
        final Set<String> distinct = new HashSet<>();
        boolean distinctOverflow;
        int maxWidth;

        Column(String name) {
            this.name = name;
        }

        void add(Object v) {
            if (v == null || v instanceof RawText t && t.text().isEmpty()) {
                nulls++;
                return;
            }
            nonNull++;
            String s = v instanceof RawText t ? t.text() : String.valueOf(v);
            boolean typed = !(v instanceof RawText);
            if (allVectors) {
                int n = v instanceof java.util.List<?> l && !l.isEmpty() && l.size() <= FeatureSpec.MAX_DIMENSION
                        && l.stream().allMatch(x -> x instanceof Number) ? l.size() : -1;
                allVectors = n > 0 && (dimension < 0 || dimension == n);
                dimension = n;
            }
            allNumbers &= typed ? v instanceof Number : FeatureValidator.isNumberToken(s);
            allBooleans &= typed ? v instanceof Boolean : s.equalsIgnoreCase("true") || s.equalsIgnoreCase("false");
            allTimestamps &= (v instanceof String || !typed) && FeatureValidator.parseTimestamp(s) != null;
            if (!distinctOverflow) {
                distinct.add(s);
                distinctOverflow = distinct.size() > 100_000;
            }
            maxWidth = Math.max(maxWidth, jsonbBytes(name, v, s));
        }

        FeatureType type() {
            if (nonNull == 0) {
                return FeatureType.TEXT;
            }
            if (allVectors) {
                return FeatureType.VECTOR;
            }
            if (allNumbers) {
                return FeatureType.NUMERIC;
            }
            if (allBooleans) {
                return FeatureType.BOOLEAN;
            }
            if (allTimestamps) {
                return FeatureType.TIMESTAMP;
            }
            boolean fewLevels = !distinctOverflow
                    && (distinct.size() <= MAX_LEVELS || distinct.size() * 2L < nonNull);
            return fewLevels ? FeatureType.CATEGORICAL : FeatureType.TEXT;
        }
    }
}
