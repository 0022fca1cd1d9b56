package dev.converge.serve.monitor;

import dev.converge.serve.outcome.OutcomeListener;
import dev.converge.serve.outcome.ScoredRow;
import dev.converge.serve.alerts.Alerts;
import dev.converge.serve.resilience.LoopLag;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Says where the time of slow predictions went. Each scored request leaves its stage times (feature fetch, cache,
 * wait for a scoring worker, scoring, and the rest of the path: decoding, validation, encoding); every interval the
 * requests of the slowest 1% are averaged stage by stage, beside the largest event-loop lag of the interval. When
 * the p99 of the service's latency stays above {@code thresholdMillis} for {@code sustainedIntervals} intervals in
 * a row, the alert {@code latency/<model>} fires, naming the cause: event-loop lag when the loops ran late by at
 * least half the slow requests' time (a blocked loop delays every callback, whatever stage it falls in), else the
 * stage that took most of it, with every figure. It resolves after an interval below the threshold.
 */
public final class LatencyAttribution implements OutcomeListener {
    /** Stage names, in the order of {@link #record}'s arguments. */
    static final String[] STAGES = {"feature fetch", "cache", "queue wait", "scoring", "the rest of the path"};
    private static final int CAPACITY = 8192;

    private final double thresholdMillis;
    private final int sustainedIntervals;
    private final LoopLag loopLag;
    private final Alerts alerts;
    /** Per request: total, then the five stages, in nanoseconds; a ring over the current interval. */
    private final long[][] samples = new long[CAPACITY][6];
    private long recorded;
    private int slowIntervals;

    private final int loops;
    private long lastEvaluated = System.nanoTime();

    public LatencyAttribution(double thresholdMillis, int sustainedIntervals, LoopLag loopLag, Alerts alerts, int loops) {
        this.loops = Math.max(1, loops);
        this.thresholdMillis = thresholdMillis;
        this.sustainedIntervals = sustainedIntervals;
        this.loopLag = loopLag;
        this.alerts = alerts;
    }

    /** A single request's row: its stage times are recorded (a batch's rows are timed as the batch). */
    @Override
    public void scored(ScoredRow row) {
        if (row.single()) {
            ScoredRow.Timing t = row.timing();
            record(t.totalNanos(), t.fetchNanos(), t.restNanos(), t.queueNanos(), t.scoringNanos());
        }
    }

    /** One scored request's times (nanoseconds); the rest of the path is what the stages do not account for. */
    public synchronized void record(long total, long fetch, long cache, long queue, long scoring) {
        long[] s = samples[(int) (recorded++ % CAPACITY)];
        s[0] = total;
        s[1] = fetch;
        s[2] = cache;
        s[3] = queue;
        s[4] = scoring;
        s[5] = Math.max(0, total - fetch - cache - queue - scoring);
    }

    /** What one interval found: p99 of the total, and the slow tail's mean per stage (milliseconds). */
    public record Finding(int requests, double p99Millis, double loopLagMillis, Map<String, Double> tailMillis,
                   String cause) {
        public String describe() {
            StringBuilder b = new StringBuilder();
            tailMillis.forEach((stage, ms) -> b.append(b.length() == 0 ? "" : ", ").append(stage).append(' ')
                    .append(String.format("%.1f ms", ms)));
            return "p99 " + String.format("%.1f ms", p99Millis) + " over " + requests + " requests; the slowest 1%"
                    + " spent on average " + b + "; the event loops ran up to " + String.format("%.1f ms",
                    loopLagMillis) + " late";
        }
    }

    /** Takes the interval's samples and decides; called once an interval. */
    public Finding evaluate(String model) {
        long[][] taken;
        synchronized (this) {
            int n = (int) Math.min(recorded, CAPACITY);
            taken = new long[n][];
            for (int i = 0; i < n; i++) {
                taken[i] = samples[i].clone();
            }
            recorded = 0;
        }
        double lagMillis = loopLag.takeIntervalMax() / 1e6;
        long now = System.nanoTime();
        double blockedShare = loopLag.takeBlocked() / (double) loops / Math.max(1, now - lastEvaluated);
        lastEvaluated = now;
        if (taken.length == 0) {
            slowIntervals = 0;
            alerts.resolve("latency/" + model, "no requests in the last interval");
            return null;
        }
        Arrays.sort(taken, (a, b) -> Long.compare(a[0], b[0]));
        int p99Index = Math.min(taken.length - 1, (int) Math.ceil(taken.length * 0.99) - 1);
        double p99 = taken[p99Index][0] / 1e6;
        Map<String, Double> tail = new LinkedHashMap<>();
        int from = Math.min(p99Index, taken.length - 1);
        int count = taken.length - from;
        double tailTotal = 0;
        for (int i = from; i < taken.length; i++) {
            tailTotal += taken[i][0] / 1e6 / count;
        }
        String top = null;
        for (int st = 0; st < STAGES.length; st++) {
            double sum = 0;
            for (int i = from; i < taken.length; i++) {
                sum += taken[i][st + 1];
            }
            double mean = sum / count / 1e6;
            tail.put(STAGES[st], mean);
            if (top == null || mean > tail.get(top)) {
                top = STAGES[st];
            }
        }
        // A request that arrived while its loop was blocked waited for it before anything here could time it: the
        // stages never see that wait. When the loops were blocked for 1% of the interval or more, at least 1% of
        // the requests arriving in it waited, up to the longest lag: the p99 callers saw is at least that.
        boolean lagInP99 = blockedShare >= 0.01 && lagMillis > p99;
        if (lagInP99) {
            p99 = lagMillis;
        }
        String cause = lagInP99 || lagMillis >= 0.5 * tailTotal ? "event-loop lag" : top;
        Finding f = new Finding(taken.length, p99, lagMillis, tail, cause);
        if (p99 > thresholdMillis) {
            if (++slowIntervals >= sustainedIntervals) {
                Map<String, Object> details = new LinkedHashMap<>();
                details.put("cause", cause);
                details.put("p99_ms", p99);
                details.put("loop_lag_ms", lagMillis);
                details.put("requests", taken.length);
                tail.forEach((stage, ms) -> details.put(stage.replace(' ', '_') + "_ms", ms));
                alerts.fire("latency/" + model, "warning", "predictions of model '" + model + "' are slow, mostly"
                        + " from " + cause + ": " + f.describe(), details);
            }
        } else {
            slowIntervals = 0;
            alerts.resolve("latency/" + model, "p99 is back under " + thresholdMillis + " ms (" + String.format(
                    "%.1f ms", p99) + ")");
        }
        return f;
    }
}
