package dev.converge.contracts;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * A feature computed from another by a declared transform, stored with the model and applied by this one class at
 * training (to each label event's point-in-time row) and at serving (to each validated request): the caller never
 * computes it, and the two can never disagree.
 *
 * <p>Transforms: {@code day_of_week} (mon..sun) and {@code month} (jan..dec) are categorical; {@code hour} (0-23),
 * {@code day_of_year} (1-366) and {@code log1p} (ln(1 + x), missing below -1) are numeric; {@code bucket} places a
 * number among ascending {@code bounds} ({@code "<b0"}, {@code "b0..b1"}, ..., {@code ">=bn"}). Date parts are taken
 * in {@code zone} (UTC unless given: a Saturday-night ride in Chicago is a Sunday in UTC), from a timestamp feature
 * or from {@value #EVENT_TIME}: the label event's time in training, the request's {@code event_time} (default: now)
 * in serving.
 *
 * @param name   the derived feature's name (a model input)
 * @param op     the transform
 * @param source the feature it reads, or {@value #EVENT_TIME}
 * @param bounds for {@code bucket}: ascending bounds; empty otherwise
 * @param zone   the time zone date parts are taken in (an IANA name such as America/Chicago); UTC when null
 */
public record DerivedFeature(String name, Op op, String source, List<Double> bounds, java.time.ZoneId zone) {
    public static final String EVENT_TIME = "event_time";
    private static final String[] DAYS = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
    private static final String[] MONTHS = {"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct",
            "nov", "dec"};

    public enum Op {
        DAY_OF_WEEK, MONTH, HOUR, DAY_OF_YEAR, LOG1P, BUCKET;

        public String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }

        public static Op fromWireName(String s) {
            for (Op o : values()) {
                if (o.wireName().equals(s)) {
                    return o;
                }
            }
            throw new IllegalArgumentException("unknown transform '" + s + "'; known: day_of_week, month, hour,"
                    + " day_of_year, log1p, bucket");
        }

        public boolean datePart() {
            return this == DAY_OF_WEEK || this == MONTH || this == HOUR || this == DAY_OF_YEAR;
        }
    }

    public DerivedFeature(String name, Op op, String source, List<Double> bounds) {
        this(name, op, source, bounds, null);
    }

    public DerivedFeature {
        FeatureSpec.validateName(name);
        Objects.requireNonNull(op, "op");
        Objects.requireNonNull(source, "source");
        bounds = bounds == null ? List.of() : List.copyOf(bounds);
        zone = zone == null ? ZoneOffset.UTC : zone;
        if (!op.datePart() && !zone.equals(ZoneOffset.UTC)) {
            throw new IllegalArgumentException("derived feature '" + name + "': a time zone applies to date parts, not"
                    + " to " + op.wireName());
        }
        if (op == Op.BUCKET) {
            if (bounds.isEmpty()) {
                throw new IllegalArgumentException("derived feature '" + name + "': bucket needs bounds");
            }
            for (int i = 1; i < bounds.size(); i++) {
                if (!(bounds.get(i) > bounds.get(i - 1))) {
                    throw new IllegalArgumentException("derived feature '" + name + "': bounds must ascend, were "
                            + bounds);
                }
            }
        } else if (!bounds.isEmpty()) {
            throw new IllegalArgumentException("derived feature '" + name + "': only bucket takes bounds");
        }
        if (!op.datePart() && source.equals(EVENT_TIME)) {
            throw new IllegalArgumentException("derived feature '" + name + "': " + op.wireName()
                    + " reads a number, not the event time");
        }
    }

    /** Categorical (its values are levels) or numeric. */
    public FeatureType type() {
        return op == Op.DAY_OF_WEEK || op == Op.MONTH || op == Op.BUCKET ? FeatureType.CATEGORICAL
                : FeatureType.NUMERIC;
    }

    /** Checks the source exists in {@code schema} with a type the transform reads. */
    public void checkAgainst(FeatureSchema schema) {
        if (schema.feature(name).isPresent()) {
            throw new IllegalArgumentException("derived feature '" + name + "' has the name of a stored feature");
        }
        if (source.equals(EVENT_TIME)) {
            return;
        }
        FeatureSpec s = schema.feature(source).orElseThrow(() -> new IllegalArgumentException("derived feature '"
                + name + "' reads '" + source + "', which is not a feature of the schema"));
        FeatureType need = op.datePart() ? FeatureType.TIMESTAMP : FeatureType.NUMERIC;
        if (s.type() != need) {
            throw new IllegalArgumentException("derived feature '" + name + "': " + op.wireName() + " reads a "
                    + need.wireName() + " feature, and '" + source + "' is " + s.type().wireName());
        }
    }

    /**
     * The derived value: a String level, a Double, or null (missing) when the source is missing.
     *
     * @param values    validated (or stored) values by feature name: Instants for timestamps, numbers
     * @param eventTime the event time ({@value #EVENT_TIME})
     */
    public Object apply(Map<String, ?> values, Instant eventTime) {
        Object v = source.equals(EVENT_TIME) ? eventTime : values.get(source);
        if (v == null) {
            return null;
        }
        if (op.datePart()) {
            Instant t = v instanceof Instant i ? i : Instant.parse(v.toString());
            ZonedDateTime z = t.atZone(zone);
            return switch (op) {
                case DAY_OF_WEEK -> DAYS[z.getDayOfWeek().getValue() - 1];
                case MONTH -> MONTHS[z.getMonthValue() - 1];
                case HOUR -> (double) z.getHour();
                default -> (double) z.getDayOfYear();
            };
        }
        double x = ((Number) v).doubleValue();
        if (Double.isNaN(x)) {
            return null;
        }
        if (op == Op.LOG1P) {
            return x > -1 ? Math.log1p(x) : null;
        }
        for (int i = 0; i < bounds.size(); i++) {
            if (x < bounds.get(i)) {
                return i == 0 ? "<" + fmt(bounds.get(0)) : fmt(bounds.get(i - 1)) + ".." + fmt(bounds.get(i));
            }
        }
        return ">=" + fmt(bounds.get(bounds.size() - 1));
    }

    /** As recorded with a model: {@code {"name", "op", "source", "bounds"?}}. */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new java.util.LinkedHashMap<>();
        m.put("name", name);
        m.put("op", op.wireName());
        m.put("source", source);
        if (!bounds.isEmpty()) {
            m.put("bounds", bounds);
        }
        if (!zone.equals(ZoneOffset.UTC)) { // versions recorded before zones read as UTC, as they were computed
            m.put("zone", zone.getId());
        }
        return m;
    }

    /** Reads {@link #toMap()}'s form (also a pipeline's {@code derive} options), naming what is wrong. */
    public static DerivedFeature fromMap(Map<?, ?> m) {
        for (Object k : m.keySet()) {
            if (!List.of("name", "op", "source", "bounds", "zone").contains(String.valueOf(k))) {
                throw new IllegalArgumentException("derived feature: unknown key '" + k + "'; known: name, op, source,"
                        + " bounds, zone");
            }
        }
        if (!(m.get("name") instanceof String name) || !(m.get("op") instanceof String op)
                || !(m.get("source") instanceof String source)) {
            throw new IllegalArgumentException("derived feature " + m + ": name, op and source must be strings");
        }
        List<Double> bounds = new java.util.ArrayList<>();
        if (m.get("bounds") instanceof List<?> l) {
            for (Object b : l) {
                if (!(b instanceof Number n)) {
                    throw new IllegalArgumentException("derived feature '" + name + "': bounds must be numbers");
                }
                bounds.add(n.doubleValue());
            }
        } else if (m.containsKey("bounds")) {
            throw new IllegalArgumentException("derived feature '" + name + "': bounds must be a list of numbers");
        }
        return new DerivedFeature(name, Op.fromWireName(op), source, bounds, zone(m.get("zone"), name));
    }

    /** An IANA time zone by name (America/Chicago), or UTC for null; an unknown name is refused, naming it. */
    public static java.time.ZoneId zone(Object name, String feature) {
        if (name == null) {
            return ZoneOffset.UTC;
        }
        try {
            return java.time.ZoneId.of(String.valueOf(name));
        } catch (java.time.DateTimeException e) {
            throw new IllegalArgumentException("derived feature '" + feature + "': zone '" + name + "' is not a time"
                    + " zone (an IANA name such as America/Chicago, or UTC)");
        }
    }

    /** How it is computed, for messages: "day_of_week of event_time in America/Chicago". */
    public String describe() {
        return op.wireName() + " of " + source + (op.datePart() ? " in " + zone.getId() : "")
                + (bounds.isEmpty() ? "" : " " + bounds);
    }

    private static String fmt(double d) {
        return d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString((long) d) : Double.toString(d);
    }
}
