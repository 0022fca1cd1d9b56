package dev.converge.serve.monitor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Population stability (PSI) and Kolmogorov-Smirnov distance of a sample of served feature values against the
 * training baseline stored with the model ({@code train.Baselines}: decile edges and shares for a numeric feature,
 * level shares for a categorical one, and the share missing), on the baseline's own bins. Missing values are a bin
 * of their own, and so is every level the model never saw (together, as "(unseen)"). An empty bin counts as
 * {@link #EPSILON} so that PSI stays finite.
 */
public final class Drift {
    /** The share an empty bin (expected or actual) counts as. */
    public static final double EPSILON = 1e-4;
    static final String MISSING = "(missing)";
    static final String UNSEEN = "(unseen)";

    private Drift() {}

    /**
     * One feature's drift.
     *
     * @param ks   for numeric features: the largest gap between the two cumulative distributions at the baseline's
     *             edges (so a lower bound of the exact statistic); null for categorical ones
     * @param bins bin name to {@code [expected share, actual share]}
     */
    public record FeatureDrift(String feature, int rows, double psi, Double ks, Map<String, double[]> bins) {
        public String level(double warn, double alert) {
            return rows == 0 ? "no_data" : psi > alert ? "alert" : psi > warn ? "warn" : "ok";
        }
    }

    /** Drift of {@code values} (numbers, or null when missing) against a numeric baseline. */
    @SuppressWarnings("unchecked")
    public static FeatureDrift numeric(String feature, Map<String, Object> baseline, List<Object> values) {
        double[] edges = toDoubles((List<Object>) baseline.get("edges"));
        double[] expected = toDoubles((List<Object>) baseline.get("shares"));
        double expectedMissing = ((Number) baseline.getOrDefault("missing_share", 0.0)).doubleValue();
        long[] counts = new long[expected.length];
        long missing = 0;
        for (Object v : values) {
            if (!(v instanceof Number n) || Double.isNaN(n.doubleValue())) {
                missing++;
                continue;
            }
            if (counts.length == 0) {
                continue;
            }
            int i = Arrays.binarySearch(edges, n.doubleValue());
            counts[Math.min(counts.length - 1, i >= 0 ? i + 1 : -i - 1)]++;
        }
        int rows = values.size();
        Map<String, double[]> bins = new LinkedHashMap<>();
        for (int b = 0; b < expected.length; b++) {
            String name = b == 0 ? "< " + edges[0] : b == expected.length - 1 ? ">= " + edges[b - 1]
                    : "[" + edges[b - 1] + ", " + edges[b] + ")";
            bins.put(name, new double[] {expected[b], share(counts[b], rows)});
        }
        bins.put(MISSING, new double[] {expectedMissing, share(missing, rows)});
        double ks = 0;
        double eCum = 0;
        double aCum = 0;
        double eNonMissing = Math.max(EPSILON, 1 - expectedMissing);
        long present = rows - missing;
        for (int b = 0; b < expected.length - 1; b++) {
            eCum += expected[b] / eNonMissing;
            aCum += present == 0 ? 0 : counts[b] / (double) present;
            ks = Math.max(ks, Math.abs(eCum - aCum));
        }
        return new FeatureDrift(feature, rows, psi(bins), present == 0 ? null : ks, bins);
    }

    /** Drift of {@code values} (strings, or null when missing) against a categorical baseline. */
    @SuppressWarnings("unchecked")
    public static FeatureDrift categorical(String feature, Map<String, Object> baseline, List<Object> values) {
        Map<String, Object> shares = (Map<String, Object>) baseline.get("shares");
        double expectedMissing = ((Number) baseline.getOrDefault("missing_share", 0.0)).doubleValue();
        Map<String, Long> counts = new LinkedHashMap<>();
        shares.keySet().forEach(level -> counts.put(level, 0L));
        long unseen = 0;
        long missing = 0;
        for (Object v : values) {
            if (v == null) {
                missing++;
            } else if (counts.containsKey(String.valueOf(v))) {
                counts.merge(String.valueOf(v), 1L, Long::sum);
            } else {
                unseen++;
            }
        }
        int rows = values.size();
        Map<String, double[]> bins = new LinkedHashMap<>();
        shares.forEach((level, e) -> bins.put(level, new double[] {((Number) e).doubleValue(),
                share(counts.get(level), rows)}));
        bins.put(UNSEEN, new double[] {0, share(unseen, rows)});
        bins.put(MISSING, new double[] {expectedMissing, share(missing, rows)});
        return new FeatureDrift(feature, rows, psi(bins), null, bins);
    }

    /** PSI over bins of {@code [expected, actual]} shares: sum of (a - e) ln(a / e), each share at least epsilon. */
    static double psi(Map<String, double[]> bins) {
        double psi = 0;
        for (double[] ea : bins.values()) {
            double e = Math.max(EPSILON, ea[0]);
            double a = Math.max(EPSILON, ea[1]);
            psi += (a - e) * Math.log(a / e);
        }
        return psi;
    }

    private static double share(long count, int rows) {
        return rows == 0 ? 0 : count / (double) rows;
    }

    private static double[] toDoubles(List<Object> l) {
        double[] out = new double[l == null ? 0 : l.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = ((Number) l.get(i)).doubleValue();
        }
        return out;
    }

    /** Every feature of {@code baselines} over the sample rows (feature name to value maps, as logged). */
    @SuppressWarnings("unchecked")
    public static List<FeatureDrift> all(Map<String, Object> baselines, List<Map<String, Object>> rows) {
        List<FeatureDrift> out = new ArrayList<>();
        for (Map.Entry<String, Object> b : baselines.entrySet()) {
            Map<String, Object> baseline = (Map<String, Object>) b.getValue();
            List<Object> values = new ArrayList<>(rows.size());
            rows.forEach(r -> values.add(dev.converge.contracts.FeatureEncoding.columnValue(r, b.getKey())));
            out.add("numeric".equals(baseline.get("type")) ? numeric(b.getKey(), baseline, values)
                    : categorical(b.getKey(), baseline, values));
        }
        return out;
    }
}
