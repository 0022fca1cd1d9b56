package dev.converge.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Numbers as people read them in a terminal: a metric with four significant decimals, an interval as
 * {@code [lo, hi]}, counts with thousands separators, and only the figures that say how good a model is (the nested
 * records a version also keeps are for {@code models show} and {@code --json}).
 */
final class Figures {
    /** The metrics a summary line shows, in this order, when present. */
    static final List<String> HEADLINE = List.of("auc", "logloss", "log_loss", "accuracy", "rmse", "mae", "r2",
            "mean_per_class_error");

    private Figures() {
    }

    /** A metric's value: four decimals for fractions, fewer for large numbers, "-" when absent. */
    static String number(Object v) {
        if (!(v instanceof Number n)) {
            return v == null ? "-" : String.valueOf(v);
        }
        double d = n.doubleValue();
        if (n instanceof Integer || n instanceof Long) {
            return String.format(Locale.ROOT, "%,d", n.longValue());
        }
        double a = Math.abs(d);
        return a >= 1000 ? String.format(Locale.ROOT, "%,.1f", d) : a >= 10 ? String.format(Locale.ROOT, "%.2f", d)
                : String.format(Locale.ROOT, "%.4f", d);
    }

    /** "auc 0.7575, logloss 0.1883 on 1,930 test rows; threshold 0.5116 (h2o: ...), positive class good". */
    static String line(Map<String, Object> m) {
        List<String> parts = new ArrayList<>();
        for (String k : HEADLINE) {
            if (m.get(k) instanceof Number) {
                parts.add(k + " " + number(m.get(k)) + interval(m.get(k + "_ci95")));
            }
        }
        String out = String.join(", ", parts);
        if (m.get("holdout_rows") instanceof Number rows) {
            out += " on " + number(rows.longValue()) + " test rows";
        } else if (m.get("n") instanceof Number n) {
            out += " on " + number(n.longValue()) + " labelled predictions";
        }
        if (Boolean.TRUE.equals(m.get("worse_than_mean"))) {
            out += " (WORSE THAN PREDICTING THE MEAN)";
        }
        if (m.get("threshold") instanceof Number t) {
            out += "; threshold " + number(t) + (m.get("threshold_metric") != null ? " (" + m.get("threshold_metric")
                    + ")" : "");
        }
        if (m.get("positive_class") != null) {
            out += ", positive class " + m.get("positive_class");
        } else if (m.get("auc_positive_class") != null) {
            out += "; AUC of " + m.get("auc_positive_class");
        }
        return out.isEmpty() ? "(no metrics)" : out;
    }

    private static String interval(Object ci) {
        return ci instanceof List<?> l && l.size() == 2 ? " [" + number(l.get(0)) + ", " + number(l.get(1)) + "]" : "";
    }

    /** Rows as a table with aligned columns: the header, then each row, columns two spaces apart. */
    static String table(List<String> header, List<List<String>> rows) {
        int[] w = new int[header.size()];
        for (int i = 0; i < w.length; i++) {
            w[i] = header.get(i).length();
            for (List<String> r : rows) {
                w[i] = Math.max(w[i], r.get(i).length());
            }
        }
        StringBuilder b = new StringBuilder();
        List<List<String>> all = new ArrayList<>();
        all.add(header);
        all.addAll(rows);
        for (List<String> r : all) {
            for (int i = 0; i < w.length; i++) {
                String c = r.get(i);
                b.append(i == w.length - 1 ? c : String.format("%-" + w[i] + "s  ", c));
            }
            b.append(System.lineSeparator());
        }
        return b.toString();
    }
}
