package dev.converge.train;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Per-feature histograms of the training rows, stored with the model so that drift detection (PSI) compares
 * serving traffic with exactly what the model learned from. Numeric features get decile edges and the share of
 * rows in each bin; categorical ones the share of each level; both record the share of missing values.
 */
public final class Baselines {
    public static final int BINS = 10;
    /**
     * The key of the predictions' own baseline among the features': for a binomial classifier the probability of
     * {@code class} ({@code source: probability}), for a multinomial one the predicted label ({@code source: label}),
     * for a regression the predicted value ({@code source: value}), over the held-out rows of the last fold.
     */
    public static final String PREDICTION = "(prediction)";

    private Baselines() {}

    public static Map<String, Object> of(TrainingTable table, int[] rows) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (TrainingTable.Column c : table.features()) {
            out.put(c.name(), c.categorical() ? categorical(c, rows) : numeric(c, rows));
        }
        return out;
    }

    private static Map<String, Object> numeric(TrainingTable.Column c, int[] rows) {
        return numeric(Arrays.stream(rows).mapToDouble(r -> c.numbers()[r]).toArray());
    }

    /** Decile edges and shares of {@code values} (NaN: missing). */
    public static Map<String, Object> numeric(double[] values) {
        double[] v = Arrays.stream(values).filter(d -> !Double.isNaN(d)).sorted().toArray();
        int total = values.length;
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", "numeric");
        m.put("missing_share", total == 0 ? 0.0 : (total - v.length) / (double) total);
        if (v.length == 0) {
            m.put("edges", new double[0]);
            m.put("shares", new double[0]);
            return m;
        }
        double[] edges = new double[BINS - 1];
        for (int i = 1; i < BINS; i++) {
            edges[i - 1] = v[(int) Math.min(v.length - 1, (long) i * v.length / BINS)];
        }
        edges = Arrays.stream(edges).distinct().toArray();
        double[] shares = new double[edges.length + 1];
        for (double d : v) {
            int bin = Arrays.binarySearch(edges, d);
            shares[bin >= 0 ? bin + 1 : -bin - 1]++;
        }
        for (int i = 0; i < shares.length; i++) {
            shares[i] /= total;
        }
        m.put("edges", edges);
        m.put("shares", shares);
        return m;
    }

    private static Map<String, Object> categorical(TrainingTable.Column c, int[] rows) {
        return categorical(Arrays.stream(rows).mapToObj(r -> c.strings()[r]).toArray(String[]::new));
    }

    /** The share of each level of {@code values} (null: missing). */
    public static Map<String, Object> categorical(String[] values) {
        Map<String, Double> levels = new TreeMap<>();
        int missing = 0;
        for (String s : values) {
            if (s == null) {
                missing++;
            } else {
                levels.merge(s, 1.0 / values.length, Double::sum);
            }
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", "categorical");
        m.put("missing_share", values.length == 0 ? 0.0 : missing / (double) values.length);
        m.put("shares", levels);
        return m;
    }
}
