package dev.converge.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.IntFunction;

/**
 * The seeds' breaker check against a running server: constant-rate load throughout; the dependency is stopped (by the
 * operator's command), the server's breaker for it must open within {@code openWithin} while every request is still
 * answered 200 (degraded, not failed); the dependency is started again and the breaker must close (through half-open)
 * within {@code closeWithin}. The breaker's state is read from /metrics ({@code converge_breaker_state}) every 100 ms
 * and every change is reported with its time.
 */
public final class BreakerCheck {
    private BreakerCheck() {}

    /** One change of the breaker's state, seconds after the dependency was stopped. */
    public record Transition(double atSeconds, String state) {}

    /** What the check saw; {@code passed} says whether it holds. */
    public record Verdict(boolean passed, String reason, List<Transition> transitions, LoadGenerator.Result load,
                          long degraded, double openedAfter, double closedAfterStart, Map<String, Long> shed) {
        public String describe() {
            StringBuilder t = new StringBuilder();
            for (Transition x : transitions) {
                t.append(String.format("%n    %+.1f s  %s", x.atSeconds(), x.state()));
            }
            return String.format("%s: %s%n  breaker (seconds from the stop):%s%n  %d requests at %.0f/s, %d answered,"
                            + " %d not 200 %s; %d answered degraded; shed by the server, by reason: %s; p50 %.2f ms,"
                            + " p99 %.2f ms", passed ? "PASS" : "FAIL", reason, t, load.sent(), load.targetRate(),
                    load.completed(), load.non200(), load.statuses(), degraded, shed.isEmpty() ? "none" : shed,
                    load.latency().getValueAtPercentile(50) / 1000.0, load.latency().getValueAtPercentile(99) / 1000.0);
        }
    }

    /** Runs an operator's command (stop or start the dependency) through the shell; fails when it does. */
    public interface Command {
        void run() throws Exception;

        static Command shell(String line) {
            return () -> {
                Process p = new ProcessBuilder("sh", "-c", line).redirectErrorStream(true).start();
                String out = new String(p.getInputStream().readAllBytes());
                if (p.waitFor() != 0) {
                    throw new IllegalStateException("'" + line + "' exited " + p.exitValue() + ": " + out.strip());
                }
            };
        }
    }

    public static Verdict run(String baseUrl, String dependency, Command stop, Command start, double rate,
                              double openWithin, double closeWithin, IntFunction<String> body) throws Exception {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        String initial = state(http, baseUrl, dependency);
        if (initial == null) {
            throw new IllegalArgumentException("the server at " + baseUrl + " has no breaker for '" + dependency
                    + "' (converge_breaker_state{dependency=\"" + dependency + "\"} is not in /metrics): is that"
                    + " dependency configured?");
        }
        if (!initial.equals("closed")) {
            throw new IllegalStateException("the " + dependency + " breaker is " + initial + " before the check;"
                    + " it must start closed");
        }
        String scrapeBefore = EventLoopCheck.scrape(http, baseUrl);
        double degradedBefore = ServerHistogram.sum(scrapeBefore, "converge_degraded_total", Map.of());
        Map<String, Double> shedBefore = shed(scrapeBefore);
        double seconds = 2 + openWithin + closeWithin + 2;
        List<Transition> transitions = new ArrayList<>();
        double opened = Double.NaN;
        double closed = Double.NaN;
        String failure = null;
        LoadGenerator.Result load;
        try (LoadGenerator gen = new LoadGenerator(64)) {
            CompletableFuture<LoadGenerator.Result> running = CompletableFuture.supplyAsync(() -> {
                try {
                    return gen.run("breaker check", baseUrl + "/v1/predict", rate, seconds, Long.MAX_VALUE, body);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            Thread.sleep(2000); // answered normally first
            long t0 = System.nanoTime();
            stop.run();
            String last = "closed";
            double started = Double.NaN;
            while (true) {
                double now = (System.nanoTime() - t0) / 1e9;
                String s = state(http, baseUrl, dependency);
                if (s != null && !s.equals(last)) {
                    transitions.add(new Transition(now, s));
                    last = s;
                    if (s.equals("open") && Double.isNaN(opened)) {
                        opened = now;
                    }
                }
                if (Double.isNaN(started) && (!Double.isNaN(opened) || now > openWithin)) {
                    if (Double.isNaN(opened)) {
                        failure = "the breaker did not open within " + openWithin + " s of the stop";
                    }
                    start.run();
                    started = now;
                    transitions.add(new Transition(now, "(dependency started)"));
                }
                if (!Double.isNaN(started) && !Double.isNaN(opened) && s != null && s.equals("closed")) {
                    closed = now - started;
                    break;
                }
                if (!Double.isNaN(started) && now - started > closeWithin) {
                    break;
                }
                Thread.sleep(100);
            }
            load = running.get();
        }
        String scrapeAfter = EventLoopCheck.scrape(http, baseUrl);
        long degraded = Math.round(ServerHistogram.sum(scrapeAfter, "converge_degraded_total", Map.of())
                - degradedBefore);
        Map<String, Long> shed = new java.util.TreeMap<>();
        shed(scrapeAfter).forEach((reason, n) -> {
            long d = Math.round(n - shedBefore.getOrDefault(reason, 0.0));
            if (d > 0) {
                shed.put(reason, d);
            }
        });
        String reason;
        if (failure != null) {
            reason = failure;
        } else if (Double.isNaN(closed)) {
            reason = "the breaker did not close within " + closeWithin + " s of the dependency's start";
        } else if (load.non200() > 0 || load.completed() < load.sent()) {
            reason = load.non200() + " of " + load.sent() + " requests were not answered 200 " + load.statuses()
                    + (load.completed() < load.sent() ? ", " + (load.sent() - load.completed()) + " got no answer" : "");
        } else if (degraded == 0) {
            reason = "the breaker opened but no answer was marked degraded: did the load use " + dependency + "?";
        } else {
            reason = String.format("opened %.1f s after the stop, closed %.1f s after the start; every request"
                    + " answered 200 (%d degraded while %s was down)", opened, closed, degraded, dependency);
        }
        return new Verdict(reason.startsWith("opened"), reason, transitions, load, degraded, opened, closed, shed);
    }

    /** The server's refusals so far by reason ({@code converge_shed_total{reason}}). */
    static Map<String, Double> shed(String scrape) {
        Map<String, Double> out = new java.util.TreeMap<>();
        for (String line : scrape.split("\n")) {
            if (line.startsWith("converge_shed_total{")) {
                int at = line.indexOf("reason=\"");
                String reason = at < 0 ? "?" : line.substring(at + 8, line.indexOf('"', at + 8));
                out.merge(reason, Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)), Double::sum);
            }
        }
        return out;
    }

    /** The breaker's state from /metrics: closed, open or half_open; null when the server has no such breaker. */
    static String state(HttpClient http, String baseUrl, String dependency) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(baseUrl + "/metrics"))
                .timeout(Duration.ofSeconds(5)).GET().build(), HttpResponse.BodyHandlers.ofString());
        String prefix = "converge_breaker_state{";
        for (String line : r.body().split("\n")) {
            if (line.startsWith(prefix) && line.contains("dependency=\"" + dependency + "\"")) {
                double v = Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                return v == 0 ? "closed" : v == 1 ? "open" : "half_open";
            }
        }
        return null;
    }
}
