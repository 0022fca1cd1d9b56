package dev.converge.bench;

import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Prometheus histogram read off a server's /metrics text: cumulative bucket counts by upper bound, for one metric
 * and a set of labels. Two readings subtract, so a window of a run can be told apart from what came before it;
 * quantiles are bucket upper bounds (what the server itself saw, with the buckets' resolution).
 */
final class ServerHistogram {
    private static final Pattern LINE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\\{([^}]*)})?\\s+(\\S+)");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");
    private final TreeMap<Double, Double> cumulative;

    private ServerHistogram(TreeMap<Double, Double> cumulative) {
        this.cumulative = cumulative;
    }

    /** The buckets of {@code metric}_bucket whose labels include {@code labels}, summed over any other labels. */
    static ServerHistogram parse(String scrape, String metric, Map<String, String> labels) {
        TreeMap<Double, Double> buckets = new TreeMap<>();
        samples(scrape, metric + "_bucket", labels, (found, value) -> {
            if (found.containsKey("le")) {
                buckets.merge(found.get("le").equals("+Inf") ? Double.POSITIVE_INFINITY
                        : Double.parseDouble(found.get("le")), value, Double::sum);
            }
        });
        return new ServerHistogram(buckets);
    }

    /** The sum of the samples named {@code name} (a counter's _total, a gauge) whose labels include {@code labels}. */
    static double sum(String scrape, String name, Map<String, String> labels) {
        double[] total = {0};
        samples(scrape, name, labels, (found, value) -> total[0] += value);
        return total[0];
    }

    private static void samples(String scrape, String name, Map<String, String> labels,
                                java.util.function.BiConsumer<Map<String, String>, Double> each) {
        for (String line : scrape.split("\n")) {
            Matcher m = LINE.matcher(line);
            if (!m.find() || !m.group(1).equals(name)) {
                continue;
            }
            Map<String, String> found = new HashMap<>();
            Matcher l = LABEL.matcher(m.group(2) == null ? "" : m.group(2));
            while (l.find()) {
                found.put(l.group(1), l.group(2));
            }
            if (found.entrySet().containsAll(labels.entrySet())) {
                each.accept(found, Double.parseDouble(m.group(3)));
            }
        }
    }

    /** This reading minus an earlier one of the same histogram. */
    ServerHistogram minus(ServerHistogram earlier) {
        TreeMap<Double, Double> d = new TreeMap<>();
        cumulative.forEach((le, n) -> d.put(le, n - earlier.cumulative.getOrDefault(le, 0.0)));
        return new ServerHistogram(d);
    }

    long count() {
        return cumulative.isEmpty() ? 0 : Math.round(cumulative.lastEntry().getValue());
    }

    /** The upper bound of the bucket holding quantile q (in the metric's unit), or NaN when empty. */
    double quantile(double q) {
        double total = count();
        if (total == 0) {
            return Double.NaN;
        }
        for (Map.Entry<Double, Double> e : cumulative.entrySet()) {
            if (e.getValue() >= q * total) {
                return e.getKey();
            }
        }
        return Double.POSITIVE_INFINITY;
    }
}
