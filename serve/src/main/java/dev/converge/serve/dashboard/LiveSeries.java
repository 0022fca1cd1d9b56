package dev.converge.serve.dashboard;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.CountAtBucket;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The dashboard's live figures: once a second, read from the server's own meters (no second bookkeeping on the
 * request path) and turned into per-second series over the last five minutes: requests by status class, the
 * predict routes' p50 and p99 over that second (from the latency histograms' bucket counts), shed and degraded
 * answers, event-loop lag, scoring queue, pool use, heap, and the cache's hit ratio and single-flight sharing; and
 * each breaker's state with its transitions as seen.
 */
public final class LiveSeries {
    static final int POINTS = 300;
    static final String[] SERIES = {"ok_per_s", "client_errors_per_s", "server_errors_per_s", "p50_ms", "p99_ms",
        "shed_per_s", "degraded_per_s", "loop_lag_p99_ms", "scoring_queue", "pool_in_use", "heap_mb",
        "cache_hit_ratio", "cache_lookups_per_s", "single_flight_shared_per_s"};

    private final MeterRegistry metrics;
    private final long[] times = new long[POINTS];
    private final double[][] values = new double[SERIES.length][POINTS];
    private int size;
    private int next;
    private Map<String, Double> previous = Map.of();
    private long[] previousPredict = new long[0];
    private long[] previousLag = new long[0];
    private final Map<String, Integer> breakers = new LinkedHashMap<>();
    private final Deque<JsonObject> transitions = new ArrayDeque<>();

    public LiveSeries(MeterRegistry metrics) {
        this.metrics = metrics;
    }

    /** Takes one second's reading. */
    public synchronized void sample(long nowMillis) {
        Map<String, Double> totals = new LinkedHashMap<>();
        long[] predict = null;
        long[] lag = null;
        double[] bounds = null;
        double[] lagBounds = null;
        for (Meter m : metrics.getMeters()) {
            String name = m.getId().getName();
            if (name.equals("http.server.requests") && m instanceof Timer t) {
                String status = m.getId().getTag("status");
                String cls = status == null || status.isEmpty() ? "ok" : switch (status.charAt(0)) {
                    case '4' -> "client";
                    case '5' -> "server";
                    default -> "ok";
                };
                totals.merge(cls, (double) t.count(), Double::sum);
                String route = m.getId().getTag("route");
                if (route != null && route.startsWith("/v1/predict") && status != null && status.startsWith("2")) {
                    CountAtBucket[] b = t.takeSnapshot().histogramCounts();
                    if (predict == null) {
                        predict = new long[b.length];
                        bounds = new double[b.length];
                    }
                    for (int i = 0; i < b.length && i < predict.length; i++) {
                        predict[i] += (long) b[i].count();
                        bounds[i] = b[i].bucket(TimeUnit.MILLISECONDS);
                    }
                }
            } else if (name.equals("converge.eventloop.lag") && m instanceof Timer t) {
                CountAtBucket[] b = t.takeSnapshot().histogramCounts();
                if (lag == null) {
                    lag = new long[b.length];
                    lagBounds = new double[b.length];
                }
                for (int i = 0; i < b.length && i < lag.length; i++) {
                    lag[i] += (long) b[i].count();
                    lagBounds[i] = b[i].bucket(TimeUnit.MILLISECONDS);
                }
            } else if (name.equals("converge.shed") && m instanceof Counter c) {
                totals.merge("shed", c.count(), Double::sum);
            } else if (name.equals("converge.degraded") && m instanceof Counter c) {
                totals.merge("degraded", c.count(), Double::sum);
            } else if (name.equals("converge.cache.requests") && m instanceof Counter c) {
                totals.merge("cache_" + m.getId().getTag("result"), c.count(), Double::sum);
            } else if (name.equals("converge.cache.single_flight.shared") && m instanceof FunctionCounter c) {
                totals.merge("shared", c.count(), Double::sum);
            } else if (name.equals("converge.scoring.queue") && m instanceof Gauge g) {
                totals.put("queue", g.value());
            } else if (name.equals("converge.pg.pool.in_use") && m instanceof Gauge g) {
                totals.put("pool", g.value());
            } else if (name.equals("jvm.memory.used") && "heap".equals(m.getId().getTag("area")) && m instanceof Gauge g) {
                totals.merge("heap", g.value(), Double::sum);
            } else if (name.equals("converge.breaker.state") && m instanceof Gauge g) {
                breaker(m.getId().getTag("dependency"), (int) g.value(), nowMillis);
            }
        }
        double[] row = new double[SERIES.length];
        row[0] = delta(totals, "ok");
        row[1] = delta(totals, "client");
        row[2] = delta(totals, "server");
        long[] window = minus(predict, previousPredict);
        row[3] = percentile(window, bounds, 0.5);
        row[4] = percentile(window, bounds, 0.99);
        row[5] = delta(totals, "shed");
        row[6] = delta(totals, "degraded");
        row[7] = percentile(minus(lag, previousLag), lagBounds, 0.99);
        row[8] = totals.getOrDefault("queue", 0.0);
        row[9] = totals.getOrDefault("pool", 0.0);
        row[10] = totals.getOrDefault("heap", 0.0) / (1 << 20);
        double hits = delta(totals, "cache_hit");
        double lookups = hits + delta(totals, "cache_miss") + delta(totals, "cache_late");
        row[11] = lookups == 0 ? Double.NaN : hits / lookups;
        row[12] = lookups;
        row[13] = delta(totals, "shared");
        if (!previous.isEmpty()) { // the first reading only sets the baseline
            times[next] = nowMillis;
            for (int s = 0; s < SERIES.length; s++) {
                values[s][next] = row[s];
            }
            next = (next + 1) % POINTS;
            size = Math.min(POINTS, size + 1);
        }
        previous = totals;
        previousPredict = predict == null ? new long[0] : predict;
        previousLag = lag == null ? new long[0] : lag;
    }

    private double delta(Map<String, Double> totals, String key) {
        return Math.max(0, totals.getOrDefault(key, 0.0) - previous.getOrDefault(key, 0.0));
    }

    private static long[] minus(long[] now, long[] before) {
        if (now == null) {
            return new long[0];
        }
        long[] out = new long[now.length];
        for (int i = 0; i < now.length; i++) {
            out[i] = Math.max(0, now[i] - (i < before.length ? before[i] : 0));
        }
        return out;
    }

    /** The q-quantile of a window of cumulative bucket counts, interpolated within its bucket; NaN when empty. */
    static double percentile(long[] cumulative, double[] bounds, double q) {
        if (cumulative.length == 0 || cumulative[cumulative.length - 1] == 0) {
            return Double.NaN;
        }
        long total = cumulative[cumulative.length - 1];
        double target = q * total;
        for (int i = 0; i < cumulative.length; i++) {
            if (cumulative[i] >= target) {
                double lo = i == 0 ? 0 : bounds[i - 1];
                long below = i == 0 ? 0 : cumulative[i - 1];
                long in = cumulative[i] - below;
                return in == 0 ? bounds[i] : lo + (bounds[i] - lo) * (target - below) / in;
            }
        }
        return bounds[bounds.length - 1];
    }

    private void breaker(String dependency, int state, long nowMillis) {
        Integer before = breakers.put(dependency, state);
        if (before != null && before != state) {
            transitions.addFirst(new JsonObject().put("dependency", dependency).put("from", stateName(before))
                    .put("to", stateName(state)).put("at", java.time.Instant.ofEpochMilli(nowMillis).toString()));
            while (transitions.size() > 50) {
                transitions.removeLast();
            }
        }
    }

    static String stateName(int s) {
        return switch (s) {
            case 0 -> "closed";
            case 1 -> "open";
            case 2 -> "half_open";
            default -> "unknown";
        };
    }

    /** The series, oldest first (NaN as null), the breakers now and their transitions, newest first. */
    public synchronized JsonObject json() {
        JsonObject o = new JsonObject();
        JsonArray t = new JsonArray();
        int start = size < POINTS ? 0 : next;
        for (int i = 0; i < size; i++) {
            t.add(times[(start + i) % POINTS] / 1000.0);
        }
        o.put("t", t);
        for (int s = 0; s < SERIES.length; s++) {
            JsonArray a = new JsonArray();
            for (int i = 0; i < size; i++) {
                double v = values[s][(start + i) % POINTS];
                a.add(Double.isNaN(v) ? null : Math.round(v * 1000) / 1000.0);
            }
            o.put(SERIES[s], a);
        }
        JsonObject b = new JsonObject();
        breakers.forEach((d, s) -> b.put(d, stateName(s)));
        return o.put("breakers", b).put("transitions", new JsonArray(List.copyOf(transitions)));
    }
}
