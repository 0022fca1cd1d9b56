package dev.converge.serve.monitor;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Live metrics of a model version from the predictions that received feedback: for classifiers accuracy (with a
 * 95% Wilson interval), log loss and, for two classes, AUC (with a 95% interval from Hanley and McNeil's standard
 * error); for regressions RMSE and MAE.
 */
public final class LiveMetrics {
    private LiveMetrics() {}

    /** One labelled prediction: what was predicted (a label or a number), its probabilities, what was observed. */
    public record Labelled(Object predicted, Map<String, Double> probabilities, Object observed) {
        /** From the prediction log's {@code output} and the feedback's {@code label}, both as JSON text. */
        public static Labelled fromJson(String output, String label) {
            Map<String, Object> out = dev.converge.registry.codec.Json.readMap(output);
            Map<String, Double> probs = null;
            if (out.get("probabilities") instanceof Map<?, ?> p) {
                probs = new LinkedHashMap<>();
                for (Map.Entry<?, ?> e : p.entrySet()) {
                    probs.put(String.valueOf(e.getKey()), ((Number) e.getValue()).doubleValue());
                }
            }
            return new Labelled(out.get("prediction"), probs, dev.converge.registry.codec.Json.readList("[" + label
                    + "]").get(0));
        }
    }

    /** Metric name to value; {@code n} is the number of labelled predictions. */
    public static Map<String, Object> of(List<Labelled> rows) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("n", rows.size());
        if (rows.isEmpty()) {
            return m;
        }
        boolean regression = rows.get(0).probabilities() == null && rows.get(0).predicted() instanceof Number;
        if (regression) {
            double se = 0;
            double ae = 0;
            int n = 0;
            for (Labelled r : rows) {
                if (r.predicted() instanceof Number p && r.observed() instanceof Number o) {
                    double d = p.doubleValue() - o.doubleValue();
                    se += d * d;
                    ae += Math.abs(d);
                    n++;
                }
            }
            m.put("rmse", n == 0 ? null : Math.sqrt(se / n));
            m.put("mae", n == 0 ? null : ae / n);
            return m;
        }
        int correct = 0;
        double logLoss = 0;
        int withProbs = 0;
        for (Labelled r : rows) {
            String observed = String.valueOf(r.observed());
            if (observed.equals(String.valueOf(r.predicted()))) {
                correct++;
            }
            if (r.probabilities() != null) {
                Double p = r.probabilities().get(observed);
                logLoss -= Math.log(Math.max(1e-15, p == null ? 0 : p));
                withProbs++;
            }
        }
        int n = rows.size();
        double acc = correct / (double) n;
        m.put("accuracy", acc);
        double[] w = wilson(correct, n);
        m.put("accuracy_ci95", List.of(w[0], w[1]));
        if (withProbs > 0) {
            m.put("log_loss", logLoss / withProbs);
        }
        Map<String, Double> first = rows.get(0).probabilities();
        if (first != null && first.size() == 2) {
            String positive = first.keySet().stream().sorted().toList().get(1);
            List<Double> pos = new ArrayList<>();
            List<Double> neg = new ArrayList<>();
            for (Labelled r : rows) {
                if (r.probabilities() == null || r.probabilities().get(positive) == null) {
                    continue;
                }
                (positive.equals(String.valueOf(r.observed())) ? pos : neg).add(r.probabilities().get(positive));
            }
            if (!pos.isEmpty() && !neg.isEmpty()) {
                double auc = auc(pos, neg);
                double se = hanleyMcNeil(auc, pos.size(), neg.size());
                m.put("auc", auc);
                m.put("auc_ci95", List.of(Math.max(0, auc - 1.96 * se), Math.min(1, auc + 1.96 * se)));
                m.put("auc_positive_class", positive);
            }
        }
        return m;
    }

    /** The probability that a positive scores above a negative (ties count half): Mann-Whitney U / (n1 n0). */
    static double auc(List<Double> pos, List<Double> neg) {
        List<double[]> all = new ArrayList<>(pos.size() + neg.size());
        pos.forEach(p -> all.add(new double[] {p, 1}));
        neg.forEach(p -> all.add(new double[] {p, 0}));
        all.sort((a, b) -> Double.compare(a[0], b[0]));
        double rankSumPos = 0;
        int i = 0;
        while (i < all.size()) {
            int j = i;
            while (j + 1 < all.size() && all.get(j + 1)[0] == all.get(i)[0]) {
                j++;
            }
            double avgRank = (i + j) / 2.0 + 1;
            for (int k = i; k <= j; k++) {
                if (all.get(k)[1] == 1) {
                    rankSumPos += avgRank;
                }
            }
            i = j + 1;
        }
        double n1 = pos.size();
        double n0 = neg.size();
        return (rankSumPos - n1 * (n1 + 1) / 2) / (n1 * n0);
    }

    static double hanleyMcNeil(double auc, int nPos, int nNeg) {
        double q1 = auc / (2 - auc);
        double q2 = 2 * auc * auc / (1 + auc);
        double var = (auc * (1 - auc) + (nPos - 1) * (q1 - auc * auc) + (nNeg - 1) * (q2 - auc * auc))
                / ((double) nPos * nNeg);
        return Math.sqrt(Math.max(0, var));
    }

    static double[] wilson(int successes, int n) {
        double z = 1.96;
        double p = successes / (double) n;
        double denom = 1 + z * z / n;
        double centre = (p + z * z / (2.0 * n)) / denom;
        double half = z * Math.sqrt(p * (1 - p) / n + z * z / (4.0 * n * n)) / denom;
        return new double[] {Math.max(0, centre - half), Math.min(1, centre + half)};
    }
}
