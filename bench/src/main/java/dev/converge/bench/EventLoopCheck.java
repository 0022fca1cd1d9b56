package dev.converge.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.function.IntFunction;

/**
 * The seeds' event-loop check against a running server: constant-rate load for {@code seconds} (after two seconds of
 * it not counted, while the client warms up), and the server's own lag probe (every event loop records how late a
 * 20 ms timer fires, {@code converge_eventloop_lag_seconds}) read from /metrics before and after, so that only the
 * window of the load counts. Passes when the lag's p99 over that window
 * is at most the threshold; the answers' statuses and latency are reported beside it. The p99 is the upper bound of
 * the histogram bucket that holds it, the resolution the server exports.
 */
public final class EventLoopCheck {
    private EventLoopCheck() {}

    /** What the check saw; {@code passed} says whether it holds. */
    public record Verdict(boolean passed, String reason, LoadGenerator.Result load, long lagSamples, double lagP99Ms,
                          double lagP999Ms, double lagMaxMs, double thresholdMs, long gcPauses, double gcPauseMs) {
        public String describe() {
            return String.format("%s: %s%n  event-loop lag over the load: %d probe ticks, p99 <= %.1f ms, p99.9 <= %.1f"
                    + " ms, max %.1f ms in the last minutes (threshold %.1f ms)%n  GC over the load: %d pauses, %.1f ms in"
                    + " all%n  %d requests at %.0f/s, %d answered, %d not 200 %s; p50 %.2f ms, p99 %.2f ms (as this"
                    + " client saw them)", passed ? "PASS" : "FAIL", reason, lagSamples, lagP99Ms, lagP999Ms, lagMaxMs,
                    thresholdMs, gcPauses, gcPauseMs, load.sent(), load.targetRate(), load.completed(), load.non200(),
                    load.statuses(), load.latency().getValueAtPercentile(50) / 1000.0,
                    load.latency().getValueAtPercentile(99) / 1000.0);
        }
    }

    public static Verdict run(String baseUrl, double thresholdMs, double rate, double seconds, IntFunction<String> body)
            throws Exception {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        LoadGenerator.Result load;
        String before;
        try (LoadGenerator gen = new LoadGenerator(64)) {
            // Two seconds at the rate first, not counted: a fresh client JVM runs late while its JIT warms, and its
            // lateness would show as the server's latency.
            gen.run("event-loop check warm-up", baseUrl + "/v1/predict", rate, 2, Long.MAX_VALUE, body);
            before = scrape(http, baseUrl);
            load = gen.run("event-loop check", baseUrl + "/v1/predict", rate, seconds, Long.MAX_VALUE, body);
        }
        String after = scrape(http, baseUrl);
        ServerHistogram lag = ServerHistogram.parse(after, "converge_eventloop_lag_seconds", Map.of())
                .minus(ServerHistogram.parse(before, "converge_eventloop_lag_seconds", Map.of()));
        double max = ServerHistogram.sum(after, "converge_eventloop_lag_seconds_max", Map.of()) * 1000;
        long samples = lag.count();
        long gcPauses = Math.round(ServerHistogram.sum(after, "jvm_gc_pause_seconds_count", Map.of())
                - ServerHistogram.sum(before, "jvm_gc_pause_seconds_count", Map.of()));
        double gcMs = (ServerHistogram.sum(after, "jvm_gc_pause_seconds_sum", Map.of())
                - ServerHistogram.sum(before, "jvm_gc_pause_seconds_sum", Map.of())) * 1000;
        double p99 = lag.quantile(0.99) * 1000;
        double p999 = lag.quantile(0.999) * 1000;
        String reason;
        boolean passed;
        if (samples == 0) {
            passed = false;
            reason = "the server exported no converge_eventloop_lag_seconds samples over the load (is it a converge"
                    + " server?)";
        } else if (p99 > thresholdMs) {
            passed = false;
            reason = String.format("the event loops ran late: lag p99 up to %.1f ms over %d ticks, above %.1f ms"
                    + " (blocking code on a loop, GC pauses, or too little CPU; GC paused %.1f ms in all meanwhile)",
                    p99, samples, thresholdMs, gcMs);
        } else {
            passed = true;
            reason = String.format("event-loop lag p99 at most %.1f ms over %d ticks under %.0f req/s, within %.1f ms",
                    p99, samples, rate, thresholdMs);
        }
        return new Verdict(passed, reason, load, samples, p99, p999, max, thresholdMs, gcPauses, gcMs);
    }

    static String scrape(HttpClient http, String baseUrl) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(baseUrl + "/metrics"))
                .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IllegalStateException(baseUrl + "/metrics answered " + r.statusCode());
        }
        return r.body();
    }
}
