package dev.converge.train;

import dev.converge.contracts.FeatureEncoding;
import dev.converge.contracts.FeatureSchema;
import dev.converge.contracts.FeatureSpec;
import dev.converge.contracts.FeatureType;
import dev.converge.contracts.FeatureValidator;
import dev.converge.store.PitRow;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import water.DKV;
import water.Futures;
import water.Key;
import water.fvec.Frame;
import water.fvec.NewChunk;
import water.fvec.Vec;

/**
 * Extracted training data, column by column, in the schema's feature order plus the label. Numeric and timestamp
 * features are doubles (timestamps as epoch milliseconds), categorical and boolean features are strings (booleans
 * as "true"/"false"), a vector is one numeric column per component, text features are left out. Missing values are NaN or null, which H2O and h2o-genmodel both
 * read as NA. The same table yields H2O frames for training and rows for genmodel, so the two see one encoding.
 */
public final class TrainingTable {
    /** One column: numbers for numeric kinds, strings (with a sorted domain) for categorical kinds. */
    public record Column(String name, boolean categorical, double[] numbers, String[] strings, String[] domain) {}

    private final List<Column> features;
    private final Column label;
    private final Instant[] times;
    private final String[] entityIds;

    private TrainingTable(List<Column> features, Column label, Instant[] times, String[] entityIds) {
        this.features = features;
        this.label = label;
        this.times = times;
        this.entityIds = entityIds;
    }

    /**
     * Builds the table from point-in-time rows; events with no features at their time are skipped (they have
     * nothing to learn from). {@code label} must be a schema feature; {@code labelRule}, when given, derives the label from it.
     */
    public static TrainingTable fromPit(List<PitRow> rows, FeatureSchema schema, String label,
                                        Collection<String> exclude, LabelRule labelRule) {
        return fromPit(rows, schema, label, exclude, labelRule, List.of());
    }

    /**
     * As above, with {@code derived} features as columns after the stored ones, each computed from its row (and
     * the label event's time) by {@link dev.converge.contracts.DerivedFeature#apply}, the code serving runs too.
     */
    public static TrainingTable fromPit(List<PitRow> rows, FeatureSchema schema, String label,
                                        Collection<String> exclude, LabelRule labelRule,
                                        List<dev.converge.contracts.DerivedFeature> derived) {
        FeatureSpec labelSpec = schema.feature(label).orElseThrow(() -> new IllegalArgumentException(
                "label '" + label + "' is not a feature of the schema " + schema.names()));
        List<PitRow> usable = new ArrayList<>();
        for (PitRow r : rows) {
            if (r.hot() != null && value(r, label) != null) {
                usable.add(r);
            }
        }
        if (usable.isEmpty()) {
            throw new IllegalArgumentException("no label event has features and a label at its time (of "
                    + rows.size() + " events)");
        }
        int n = usable.size();
        List<Column> cols = new ArrayList<>();
        for (FeatureSpec spec : schema.features()) {
            if (spec.name().equals(label) || exclude.contains(spec.name()) || spec.type() == FeatureType.TEXT) {
                continue;
            }
            if (spec.type() == FeatureType.VECTOR) {
                cols.addAll(vectorColumns(spec, usable, n));
                continue;
            }
            cols.add(column(spec.name(), spec.type(), usable, n, schema));
        }
        Column labelColumn = labelRule == null ? column(label, labelSpec.type(), usable, n, schema)
                : labelRule.apply(label, usable);
        Instant[] times = new Instant[n];
        String[] ids = new String[n];
        for (int i = 0; i < n; i++) {
            times[i] = usable.get(i).labelTime();
            ids[i] = usable.get(i).entityId();
        }
        for (dev.converge.contracts.DerivedFeature d : derived) {
            cols.add(derivedColumn(d, usable));
        }
        TrainingTable t = new TrainingTable(cols, labelColumn, times, ids);
        t.derived = List.copyOf(derived);
        return t;
    }

    /** Derives a label column from the stored one, e.g. "damage" = (effect != "None"). */
    public interface LabelRule {
        Column apply(String storedLabel, List<PitRow> rows);

        /**
         * The stored label's values as classes: a numeric 0/1 label becomes the classes "0" and "1" (integral
         * numbers without a fraction), so it is classification, not regression.
         */
        public static LabelRule asClasses() {
            return (name, rows) -> {
                String[] s = new String[rows.size()];
                for (int i = 0; i < s.length; i++) {
                    Object v = value(rows.get(i), name);
                    s[i] = v instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue())
                            && Math.abs(n.doubleValue()) < 1e15 ? Long.toString(n.longValue()) : String.valueOf(v);
                }
                return new Column(name, true, null, s, new TreeSet<>(List.of(s)).toArray(String[]::new));
            };
        }

        public static LabelRule notEqual(String negativeValue, String positive, String negative) {
            return (name, rows) -> {
                String[] s = new String[rows.size()];
                for (int i = 0; i < s.length; i++) {
                    s[i] = negativeValue.equals(String.valueOf(value(rows.get(i), name))) ? negative : positive;
                }
                // The positive class is the second level (H2O's p1), whatever the names' sort order.
                List<String> present = new TreeSet<>(List.of(s)).stream().sorted(java.util.Comparator.comparing(
                        positive::equals)).toList();
                return new Column(name, true, null, s, present.toArray(String[]::new));
            };
        }
    }

    /**
     * How many of the rows at {@code rows} have exactly the features and label of some row at {@code others}
     * (duplicated or resampled data: a test row the model was trained on makes its metrics optimistic).
     */
    public long rowsAlsoIn(int[] rows, int[] others) {
        java.util.Set<String> seen = new java.util.HashSet<>(others.length * 2);
        for (int i : others) {
            seen.add(rowKey(i));
        }
        long n = 0;
        for (int i : rows) {
            n += seen.contains(rowKey(i)) ? 1 : 0;
        }
        return n;
    }

    private String rowKey(int row) {
        StringBuilder b = new StringBuilder();
        for (Column c : features) {
            b.append(c.categorical() ? String.valueOf(c.strings()[row]) : Double.toString(c.numbers()[row]))
                    .append('\u0001');
        }
        return b.append(label.categorical() ? label.strings()[row] : Double.toString(label.numbers()[row])).toString();
    }

    /** The distinct non-null values of {@code name} in {@code rows}, up to {@code limit} + 1 of them. */
    public static java.util.Set<Object> distinct(List<PitRow> rows, String name, int limit) {
        java.util.Set<Object> out = new java.util.HashSet<>();
        for (PitRow r : rows) {
            Object v = value(r, name);
            if (v != null && out.add(v instanceof Number n ? n.doubleValue() : v) && out.size() > limit) {
                break;
            }
        }
        return out;
    }

    static Object value(PitRow r, String name) {
        Object v = r.hot() == null ? null : r.hot().get(name);
        if (v == null && r.cold() != null) {
            v = r.cold().get(name);
        }
        return v;
    }

    /** A vector of n components as n numeric columns ({@link FeatureEncoding#columns}); a missing vector is NaN. */
    private static List<Column> vectorColumns(FeatureSpec spec, List<PitRow> rows, int n) {
        List<String> names = FeatureEncoding.columns(spec);
        double[][] d = new double[names.size()][n];
        for (int i = 0; i < n; i++) {
            Object v = value(rows.get(i), spec.name());
            if (v != null && (!(v instanceof List<?> l) || l.size() != names.size())) {
                PitRow r = rows.get(i);
                throw new IllegalArgumentException("entity '" + r.entityId() + "' (label event at " + r.labelTime()
                        + "): vector feature '" + spec.name() + "' holds " + FeatureValidator.render(v) + ", not "
                        + names.size() + " numbers (stored under schema version " + r.featureVersion() + ")");
            }
            for (int j = 0; j < names.size(); j++) {
                d[j][i] = FeatureEncoding.component(v, j);
            }
        }
        List<Column> out = new ArrayList<>();
        for (int j = 0; j < names.size(); j++) {
            out.add(new Column(names.get(j), false, d[j], null, null));
        }
        return out;
    }

    private static Column column(String name, FeatureType type, List<PitRow> rows, int n, FeatureSchema schema) {
        switch (type) {
            case NUMERIC, TIMESTAMP -> {
                double[] d = new double[n];
                for (int i = 0; i < n; i++) {
                    Object raw = value(rows.get(i), name);
                    if (raw instanceof String text && schema.isMissing(text)
                            && FeatureEncoding.nonFiniteOrNull(text) == null) {
                        d[i] = Double.NaN; // a missing-value token kept by an older schema version
                        continue;
                    }
                    Object v;
                    try {
                        v = FeatureEncoding.encode(type, raw);
                    } catch (RuntimeException e) {
                        PitRow r = rows.get(i);
                        throw new IllegalArgumentException("entity '" + r.entityId() + "' (label event at "
                                + r.labelTime() + "): feature '" + name + "' holds " + FeatureValidator.render(raw)
                                + ", which is not a " + type.wireName() + " value; the row was stored under schema"
                                + " version " + r.featureVersion() + " and this table reads '" + name + "' as "
                                + type.wireName() + " (re-ingest the entity, or exclude the feature)", e);
                    }
                    d[i] = v == null ? Double.NaN : (Double) v;
                }
                return new Column(name, false, d, null, null);
            }
            default -> {
                String[] s = new String[n];
                TreeSet<String> levels = new TreeSet<>();
                for (int i = 0; i < n; i++) {
                    s[i] = (String) FeatureEncoding.encode(type, value(rows.get(i), name));
                    if (s[i] != null) {
                        levels.add(s[i]);
                    }
                }
                return new Column(name, true, null, s, levels.toArray(String[]::new));
            }
        }
    }

    private List<dev.converge.contracts.DerivedFeature> derived = List.of();

    /**
     * A dimensionality reduction fitted by the {@code reduce} block: its MOJO, the columns it reads and the ones it
     * writes, the share of variance its outputs keep, and the table before it (whose rows are the raw inputs serving
     * sends through both MOJOs).
     */
    public record Reduction(String method, List<String> inputs, List<String> outputs, byte[] mojo, double varianceKept,
                            int fittedRows, TrainingTable before) {}

    private Reduction reduction;

    /** The reduction the table's columns went through, or null. */
    public Reduction reduction() {
        return reduction;
    }

    /** This table with the reduction's inputs replaced by its output columns (numeric, appended). */
    public TrainingTable reduced(Reduction r, List<Column> outputs) {
        List<Column> cols = new ArrayList<>();
        for (Column c : features) {
            if (!r.inputs().contains(c.name())) {
                cols.add(c);
            }
        }
        for (Column c : outputs) {
            if (cols.stream().anyMatch(x -> x.name().equals(c.name()))) {
                throw new IllegalArgumentException("the reduction's output column '" + c.name() + "' is already a"
                        + " column of the table");
            }
            cols.add(c);
        }
        TrainingTable out = new TrainingTable(cols, label, times, entityIds);
        out.derived = derived;
        out.reduction = r;
        return out;
    }

    /**
     * The positive class of a two-class label: H2O's binomial models take the label domain's second level as the
     * positive class (the one the threshold, the AUC and p1 are about). Null for any other label.
     */
    public String positiveClass() {
        return label.categorical() && label.domain().length == 2 ? label.domain()[1] : null;
    }

    /**
     * This table with {@code positive} as its two-class label's positive class (the domain's second level), the rows
     * unchanged. A label of any other shape, or a class the label does not have, is refused, naming what it has.
     */
    public TrainingTable withPositiveClass(String positive) {
        if (!label.categorical() || label.domain().length != 2) {
            throw new IllegalArgumentException("positive_class applies to a label with two classes; '" + label.name()
                    + "' has " + (label.categorical() ? label.domain().length + " classes "
                    + java.util.Arrays.toString(label.domain()) : "numbers (regression)"));
        }
        if (!java.util.Arrays.asList(label.domain()).contains(positive)) {
            throw new IllegalArgumentException("positive_class '" + positive + "' is not a class of the label '"
                    + label.name() + "': its classes are " + java.util.Arrays.toString(label.domain()));
        }
        if (label.domain()[1].equals(positive)) {
            return this;
        }
        Column relevelled = new Column(label.name(), true, null, label.strings(),
                new String[] {label.domain()[1], label.domain()[0]});
        TrainingTable out = new TrainingTable(features, relevelled, times, entityIds);
        out.derived = derived;
        out.reduction = reduction;
        return out;
    }

    /** The model's inputs of one row as serving sends them: before the reduction, when there is one. */
    public Map<String, Object> inputRow(int row) {
        return reduction == null ? rowData(row) : reduction.before().rowData(row);
    }

    /** The table whose columns are the model's inputs as stored (before the reduction, when there is one). */
    public TrainingTable inputs() {
        return reduction == null ? this : reduction.before();
    }

    /** The derived features among the columns, recorded with the model so serving computes them too. */
    public List<dev.converge.contracts.DerivedFeature> derived() {
        return derived;
    }

    private static Column derivedColumn(dev.converge.contracts.DerivedFeature d, List<PitRow> rows) {
        int n = rows.size();
        boolean categorical = d.type() == FeatureType.CATEGORICAL;
        double[] nums = categorical ? null : new double[n];
        String[] strs = categorical ? new String[n] : null;
        TreeSet<String> levels = new TreeSet<>();
        for (int i = 0; i < n; i++) {
            PitRow r = rows.get(i);
            Map<String, Object> values = new java.util.HashMap<>();
            if (r.cold() != null) {
                values.putAll(r.cold());
            }
            values.putAll(r.hot());
            Object v = d.apply(values, r.labelTime());
            if (categorical) {
                strs[i] = (String) v;
                if (v != null) {
                    levels.add((String) v);
                }
            } else {
                nums[i] = v == null ? Double.NaN : (Double) v;
            }
        }
        return new Column(d.name(), categorical, nums, strs, categorical ? levels.toArray(String[]::new) : null);
    }

    /** The same rows without the named feature columns (a Frame-to-Frame transformer). */
    public TrainingTable without(Collection<String> names) {
        for (String n : names) {
            if (features.stream().noneMatch(c -> c.name().equals(n))) {
                throw new IllegalArgumentException("cannot drop '" + n + "': it is not a feature column of the table "
                        + features.stream().map(Column::name).toList());
            }
        }
        TrainingTable out = new TrainingTable(features.stream().filter(c -> !names.contains(c.name())).toList(),
                label, times, entityIds);
        out.derived = derived.stream().filter(d -> !names.contains(d.name())).toList();
        return out;
    }

    /** The rows of {@code idx} whose categorical column {@code name} equals {@code level}. */
    public int[] rowsWhere(int[] idx, String name, String level) {
        Column c = features.stream().filter(f -> f.name().equals(name)).findFirst().orElseThrow(() ->
                new IllegalArgumentException("segment column '" + name + "' is not a feature column"));
        if (!c.categorical()) {
            throw new IllegalArgumentException("segment column '" + name + "' must be categorical");
        }
        return java.util.Arrays.stream(idx).filter(i -> level.equals(c.strings()[i])).toArray();
    }

    public int rows() {
        return times.length;
    }

    public List<Column> features() {
        return features;
    }

    public Column label() {
        return label;
    }

    public Instant[] times() {
        return times;
    }

    public String entityId(int row) {
        return entityIds[row];
    }

    public boolean classification() {
        return label.categorical();
    }

    /** The rows at {@code idx} as a frame in H2O's DKV, features then label, in chunks of at most 20,000 rows. */
    public Frame toFrame(int[] idx, String name) {
        int n = idx.length;
        int perChunk = Math.max(1_000, Math.min(20_000, (n + 7) / 8));
        int chunks = Math.max(1, (n + perChunk - 1) / perChunk);
        long[] espc = new long[chunks + 1];
        for (int c = 0; c < chunks; c++) {
            espc[c + 1] = Math.min(n, (long) (c + 1) * perChunk);
        }
        List<Column> all = new ArrayList<>(features);
        all.add(label);
        Vec.VectorGroup group = new Vec.VectorGroup();
        Key<Vec>[] keys = group.addVecs(all.size());
        int layout = Vec.ESPC.rowLayout(keys[0], espc);
        Futures fs = new Futures();
        Vec[] vecs = new Vec[all.size()];
        String[] names = new String[all.size()];
        for (int j = 0; j < all.size(); j++) {
            Column col = all.get(j);
            names[j] = col.name();
            Vec v = new Vec(keys[j], layout, col.categorical() ? col.domain() : null,
                    col.categorical() ? Vec.T_CAT : Vec.T_NUM);
            Map<String, Integer> codes = new LinkedHashMap<>();
            if (col.categorical()) {
                for (int k = 0; k < col.domain().length; k++) {
                    codes.put(col.domain()[k], k);
                }
            }
            for (int c = 0; c < chunks; c++) {
                NewChunk nc = new NewChunk(v, c);
                for (long r = espc[c]; r < espc[c + 1]; r++) {
                    int row = idx[(int) r];
                    if (col.categorical()) {
                        String s = col.strings()[row];
                        if (s == null) {
                            nc.addNA();
                        } else {
                            nc.addNum(codes.get(s), 0);
                        }
                    } else {
                        nc.addNum(col.numbers()[row]);
                    }
                }
                nc.close(c, fs);
            }
            DKV.put(v._key, v, fs);
            vecs[j] = v;
        }
        fs.blockForPending();
        Frame frame = new Frame(Key.make(name), names, vecs);
        DKV.put(frame);
        return frame;
    }

    /** One row as h2o-genmodel's RowData wants it: strings for categoricals, Doubles for numbers, NA omitted. */
    public Map<String, Object> rowData(int row) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (Column c : features) {
            if (c.categorical()) {
                if (c.strings()[row] != null) {
                    m.put(c.name(), c.strings()[row]);
                }
            } else if (!Double.isNaN(c.numbers()[row])) {
                m.put(c.name(), c.numbers()[row]);
            }
        }
        return m;
    }

    public int[] allRows() {
        int[] a = new int[rows()];
        for (int i = 0; i < a.length; i++) {
            a[i] = i;
        }
        return a;
    }
}
