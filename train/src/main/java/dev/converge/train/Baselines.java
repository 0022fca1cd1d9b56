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

    private Baselines() {}

    public static Map<String, Object> of(TrainingTable table, int[] rows) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (TrainingTable.Column c : table.features()) {
            out.put(c.name(), c.categorical() ? categorical(c, rows) : numeric(c, rows));
        }
        return out;
    }

    private static Map<String, Object> numeric(TrainingTable.Column c, int[] rows) {
        double[] v = Arrays.stream(rows).mapToDouble(r -> c.numbers()[r]).filter(d -> !Double.isNaN(d)).sorted()
                .toArray();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", "numeric");
        m.put("missing_share", rows.length == 0 ? 0.0 : (rows.length - v.length) / (double) rows.length);
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
            shares[i] /= rows.length;
        }
        m.put("edges", edges);
        m.put("shares", shares);
        return m;
    }

    private static Map<String, Object> categorical(TrainingTable.Column c, int[] rows) {
        Map<String, Double> levels = new TreeMap<>();
        int missing = 0;
        for (int r : rows) {
            String s = c.strings()[r];
            if (s == null) {
                missing++;
            } else {
                levels.merge(s, 1.0 / rows.length, Double::sum);
            }
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", "categorical");
        m.put("missing_share", rows.length == 0 ? 0.0 : missing / (double) rows.length);
        m.put("shares", levels);
        return m;
    }
}
