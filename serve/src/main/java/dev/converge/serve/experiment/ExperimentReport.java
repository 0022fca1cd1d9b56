package dev.converge.serve.experiment;

import dev.converge.serve.monitor.LiveMetrics;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.sql.DataSource;

/**
 * An experiment's comparison, from the prediction log (and the feedback joined to it) over a window: per variant and
 * version, requests, latency percentiles, the prediction distribution, the live metrics with their intervals, and the
 * mean per-row loss (log loss for classifiers, squared error for regressions) with a 95% interval; each variant's loss
 * is compared with the champion's by Welch's unequal-variances t-test (difference, its 95% interval, t, degrees of
 * freedom, two-sided p). A shadow's rows carry the champion's prediction ids, so one label scores both.
 */
public final class ExperimentReport {
    private ExperimentReport() {}

    /** One variant's figures; {@code losses} are the labelled rows' per-row losses. */
    public record Variant(String variant, int version, long requests, double p50Millis, double p90Millis,
                          double p99Millis, Map<String, Object> distribution, Map<String, Object> live,
                          double[] losses) {}

    /** A variant's mean loss against the champion's. */
    public record Comparison(String variant, int version, double difference, double low, double high, double t,
                             double df, double p) {}

    public record Report(String model, int hours, List<Variant> variants, List<Comparison> comparisons,
                         String lossName) {}

    /** Reads the log of the last {@code hours} hours (at most {@code maxLabelled} labelled rows per variant). */
    public static Report of(DataSource db, String model, int hours, int maxLabelled) throws SQLException {
        List<Variant> variants = new ArrayList<>();
        String lossName = null;
        try (Connection c = db.getConnection()) {
            try (PreparedStatement q = c.prepareStatement("SELECT variant, version, count(*),"
                    + " percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_ms),"
                    + " percentile_cont(0.9) WITHIN GROUP (ORDER BY latency_ms),"
                    + " percentile_cont(0.99) WITHIN GROUP (ORDER BY latency_ms),"
                    + " bool_or(jsonb_typeof(output->'prediction') = 'number')"
                    + " FROM prediction_log WHERE model = ? AND predicted_at >= now() - make_interval(hours => ?) AND"
                    + dev.converge.serve.monitor.PredictionLog.modelAnswers("")
                    + " GROUP BY 1, 2 ORDER BY (variant <> 'champion'), 1, 2")) {
                q.setString(1, model);
                q.setInt(2, hours);
                try (ResultSet rs = q.executeQuery()) {
                    while (rs.next()) {
                        String variant = rs.getString(1);
                        int version = rs.getInt(2);
                        boolean numeric = rs.getBoolean(7);
                        List<LiveMetrics.Labelled> labelled = labelled(c, model, hours, variant, version,
                                maxLabelled);
                        double[] losses = losses(labelled);
                        lossName = labelled.isEmpty() ? lossName : numeric ? "squared error" : "log loss";
                        variants.add(new Variant(variant, version, rs.getLong(3), rs.getDouble(4), rs.getDouble(5),
                                rs.getDouble(6), distribution(c, model, hours, variant, version, numeric),
                                LiveMetrics.of(labelled), losses));
                    }
                }
            }
        }
        List<Comparison> comparisons = new ArrayList<>();
        Variant champion = variants.stream().filter(v -> v.variant().equals("champion")).findFirst().orElse(null);
        for (Variant v : variants) {
            if (champion != null && v != champion && v.losses().length >= 2 && champion.losses().length >= 2) {
                comparisons.add(welch(v.variant(), v.version(), v.losses(), champion.losses()));
            }
        }
        return new Report(model, hours, variants, comparisons, lossName);
    }

    private static List<LiveMetrics.Labelled> labelled(Connection c, String model, int hours, String variant,
                                                       int version, int max) throws SQLException {
        List<LiveMetrics.Labelled> out = new ArrayList<>();
        try (PreparedStatement q = c.prepareStatement("SELECT l.output::text, f.label::text FROM prediction_log l"
                + " JOIN prediction_feedback f ON f.prediction_id = l.id WHERE l.model = ? AND l.variant = ?"
                + " AND l.version = ? AND l.predicted_at >= now() - make_interval(hours => ?) AND"
                + dev.converge.serve.monitor.PredictionLog.modelAnswers("l") + " LIMIT ?")) {
            q.setString(1, model);
            q.setString(2, variant);
            q.setInt(3, version);
            q.setInt(4, hours);
            q.setInt(5, max);
            try (ResultSet rs = q.executeQuery()) {
                while (rs.next()) {
                    out.add(LiveMetrics.Labelled.fromJson(rs.getString(1), rs.getString(2)));
                }
            }
        }
        return out;
    }

    /** Per-row loss: log loss of the observed class (probabilities floored at 1e-15), or squared error. */
    static double[] losses(List<LiveMetrics.Labelled> rows) {
        List<Double> out = new ArrayList<>(rows.size());
        for (LiveMetrics.Labelled r : rows) {
            if (r.probabilities() != null) {
                Double p = r.probabilities().get(String.valueOf(r.observed()));
                out.add(-Math.log(Math.max(1e-15, p == null ? 0 : p)));
            } else if (r.predicted() instanceof Number p && r.observed() instanceof Number o) {
                double d = p.doubleValue() - o.doubleValue();
                out.add(d * d);
            }
        }
        return out.stream().mapToDouble(Double::doubleValue).toArray();
    }

    private static Map<String, Object> distribution(Connection c, String model, int hours, String variant,
                                                    int version, boolean numeric) throws SQLException {
        Map<String, Object> out = new LinkedHashMap<>();
        String where = " FROM prediction_log WHERE model = ? AND variant = ? AND version = ? AND"
                + dev.converge.serve.monitor.PredictionLog.modelAnswers("")
                + " AND predicted_at >= now() - make_interval(hours => ?)";
        String sql = numeric ? "SELECT avg(x), percentile_cont(0.1) WITHIN GROUP (ORDER BY x), percentile_cont(0.5)"
                + " WITHIN GROUP (ORDER BY x), percentile_cont(0.9) WITHIN GROUP (ORDER BY x) FROM (SELECT"
                + " (output->>'prediction')::float8 AS x" + where + ") s"
                : "SELECT output->>'prediction', count(*)" + where + " GROUP BY 1 ORDER BY 2 DESC LIMIT 10";
        try (PreparedStatement q = c.prepareStatement(sql)) {
            q.setString(1, model);
            q.setString(2, variant);
            q.setInt(3, version);
            q.setInt(4, hours);
            try (ResultSet rs = q.executeQuery()) {
                if (numeric) {
                    rs.next();
                    out.put("mean", rs.getDouble(1));
                    out.put("p10", rs.getDouble(2));
                    out.put("p50", rs.getDouble(3));
                    out.put("p90", rs.getDouble(4));
                } else {
                    while (rs.next()) {
                        out.put(String.valueOf(rs.getString(1)), rs.getLong(2));
                    }
                }
            }
        }
        return out;
    }

    /** Welch's t-test of mean(a) - mean(b), two-sided; the interval from the t distribution's 97.5% quantile. */
    static Comparison welch(String variant, int version, double[] a, double[] b) {
        double ma = mean(a);
        double mb = mean(b);
        double va = variance(a, ma) / a.length;
        double vb = variance(b, mb) / b.length;
        double se = Math.sqrt(va + vb);
        double diff = ma - mb;
        if (se == 0) {
            return new Comparison(variant, version, diff, diff, diff, diff == 0 ? 0 : Double.POSITIVE_INFINITY,
                    a.length + b.length - 2, diff == 0 ? 1 : 0);
        }
        double t = diff / se;
        double df = (va + vb) * (va + vb) / (va * va / (a.length - 1) + vb * vb / (b.length - 1));
        double p = studentTwoSided(Math.abs(t), df);
        double q = studentQuantile975(df);
        return new Comparison(variant, version, diff, diff - q * se, diff + q * se, t, df, p);
    }

    static double mean(double[] x) {
        double s = 0;
        for (double v : x) {
            s += v;
        }
        return x.length == 0 ? Double.NaN : s / x.length;
    }

    private static double variance(double[] x, double m) {
        double s = 0;
        for (double v : x) {
            s += (v - m) * (v - m);
        }
        return s / (x.length - 1);
    }

    /** P(|T| >= t) for Student's t with df degrees of freedom: I_{df/(df+t^2)}(df/2, 1/2). */
    static double studentTwoSided(double t, double df) {
        return regularizedBeta(df / (df + t * t), df / 2, 0.5);
    }

    /** The t distribution's 97.5% quantile, by bisection on the two-sided tail. */
    static double studentQuantile975(double df) {
        double lo = 0;
        double hi = 100;
        for (int i = 0; i < 100; i++) {
            double mid = (lo + hi) / 2;
            if (studentTwoSided(mid, df) > 0.05) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        return (lo + hi) / 2;
    }

    /** The regularized incomplete beta function I_x(a, b), by Lentz's continued fraction (Numerical Recipes 6.4). */
    static double regularizedBeta(double x, double a, double b) {
        if (x <= 0) {
            return 0;
        }
        if (x >= 1) {
            return 1;
        }
        double front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
        if (x < (a + 1) / (a + b + 2)) {
            return front * betaFraction(x, a, b) / a;
        }
        return 1 - front * betaFraction(1 - x, b, a) / b;
    }

    private static double betaFraction(double x, double a, double b) {
        double tiny = 1e-300;
        double c = 1;
        double d = 1 - (a + b) * x / (a + 1);
        d = 1 / (Math.abs(d) < tiny ? tiny : d);
        double h = d;
        for (int m = 1; m <= 300; m++) {
            int m2 = 2 * m;
            double aa = m * (b - m) * x / ((a + m2 - 1) * (a + m2));
            d = 1 / nonZero(1 + aa * d, tiny);
            c = nonZero(1 + aa / c, tiny);
            h *= d * c;
            aa = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1));
            d = 1 / nonZero(1 + aa * d, tiny);
            c = nonZero(1 + aa / c, tiny);
            double del = d * c;
            h *= del;
            if (Math.abs(del - 1) < 1e-14) {
                break;
            }
        }
        return h;
    }

    private static double nonZero(double v, double tiny) {
        return Math.abs(v) < tiny ? tiny : v;
    }

    /** Lanczos' approximation of ln Gamma(x), x > 0. */
    static double logGamma(double x) {
        double[] g = {76.18009172947146, -86.50532032941677, 24.01409824083091, -1.231739572450155,
            0.1208650973866179e-2, -0.5395239384953e-5};
        double y = x;
        double tmp = x + 5.5;
        tmp -= (x + 0.5) * Math.log(tmp);
        double ser = 1.000000000190015;
        for (double c : g) {
            ser += c / ++y;
        }
        return -tmp + Math.log(2.5066282746310005 * ser / x);
    }

    /** The report as text: a table per variant, then the comparisons. */
    public static String render(Report r) {
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "Experiment report of '%s', the last %d hour%s (from the prediction log)%n%n",
                r.model(), r.hours(), r.hours() == 1 ? "" : "s"));
        if (r.variants().isEmpty()) {
            return b.append("No logged predictions in the window.\n").toString();
        }
        b.append(String.format(Locale.ROOT, "%-11s %7s %10s %9s %9s %9s  %s%n", "variant", "version", "requests",
                "p50 ms", "p90 ms", "p99 ms", "predictions"));
        for (Variant v : r.variants()) {
            b.append(String.format(Locale.ROOT, "%-11s %7s %10d %9.3f %9.3f %9.3f  %s%n", v.variant(), "v"
                    + v.version(), v.requests(), v.p50Millis(), v.p90Millis(), v.p99Millis(), v.distribution()));
        }
        b.append(String.format(Locale.ROOT, "%nLive metrics (predictions with feedback)%n"));
        for (Variant v : r.variants()) {
            double[] l = v.losses();
            String loss = l.length < 2 ? "" : String.format(Locale.ROOT, "; mean %s %.4f (95%% CI %.4f to %.4f)",
                    r.lossName(), mean(l), mean(l) - 1.96 * Math.sqrt(variance(l, mean(l)) / l.length),
                    mean(l) + 1.96 * Math.sqrt(variance(l, mean(l)) / l.length));
            b.append(String.format(Locale.ROOT, "  %-11s v%-4d %s%s%n", v.variant(), v.version(), v.live(), loss));
        }
        if (!r.comparisons().isEmpty()) {
            b.append(String.format(Locale.ROOT, "%nAgainst the champion: difference in mean %s, Welch's t-test"
                    + " (two-sided)%n", r.lossName()));
            for (Comparison c : r.comparisons()) {
                b.append(String.format(Locale.ROOT, "  %-11s v%-4d %+.4f (95%% CI %+.4f to %+.4f), t = %.2f, df ="
                        + " %.1f, p = %.4g: %s%n", c.variant(), c.version(), c.difference(), c.low(), c.high(), c.t(),
                        c.df(), c.p(), c.p() < 0.05 ? (c.difference() < 0 ? "better than the champion"
                        : "worse than the champion") + " at the 5% level" : "no significant difference at the 5%"
                        + " level"));
            }
        } else {
            b.append(String.format(Locale.ROOT, "%nNo comparison: a variant and the champion each need at least two"
                    + " predictions with feedback.%n"));
        }
        return b.toString();
    }
}
