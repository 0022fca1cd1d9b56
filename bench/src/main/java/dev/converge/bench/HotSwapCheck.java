package dev.converge.bench;

import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.function.IntFunction;

/**
 * The seeds' hot-swap check against a running server: constant-rate load for {@code seconds}; a third of the way in,
 * the admin API activates version {@code to}; the verdict passes when every request was answered 200 (no drop, no
 * refusal, no error) and the server then serves {@code to}. Reports the swap's own time and the latency around it.
 */
public final class HotSwapCheck {
    private HotSwapCheck() {}

    /** What the check saw; {@code passed} says whether it holds. */
    public record Verdict(boolean passed, String reason, LoadGenerator.Result load, int activateStatus,
                          String activateBody, Integer servedAfter) {
        public String describe() {
            return String.format("%s: %s%n  %d requests at %.0f/s, %d answered, %d not 200; p50 %.2f ms, p99 %.2f ms,"
                    + " max %.2f ms%n  activation: %d %s%n  serving after: v%s", passed ? "PASS" : "FAIL", reason,
                    load.sent(), load.targetRate(), load.completed(), load.non200(),
                    load.latency().getValueAtPercentile(50) / 1000.0, load.latency().getValueAtPercentile(99) / 1000.0,
                    load.latency().getMaxValue() / 1000.0, activateStatus, activateBody, servedAfter);
        }
    }

    public static Verdict run(String baseUrl, String token, int to, double rate, double seconds,
                              IntFunction<String> body) throws Exception {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        LoadGenerator.Result load;
        int status;
        String answer;
        try (LoadGenerator gen = new LoadGenerator(64)) {
            CompletableFuture<LoadGenerator.Result> running = CompletableFuture.supplyAsync(() -> {
                try {
                    return gen.run("hot swap to v" + to, baseUrl + "/v1/predict", rate, seconds, Long.MAX_VALUE, body);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            Thread.sleep((long) (seconds * 1000 / 3));
            HttpRequest.Builder activate = HttpRequest.newBuilder(URI.create(baseUrl + "/admin/models/" + to
                    + "/activate")).timeout(Duration.ofSeconds(60)).POST(HttpRequest.BodyPublishers.noBody());
            if (token != null) {
                activate.header("Authorization", "Bearer " + token);
            }
            HttpResponse<String> r = http.send(activate.build(), HttpResponse.BodyHandlers.ofString());
            status = r.statusCode();
            answer = r.body();
            load = running.get();
        }
        HttpResponse<String> ready = http.send(HttpRequest.newBuilder(URI.create(baseUrl + "/health/ready"))
                .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString());
        Integer served = ready.statusCode() == 200 ? new JsonObject(ready.body()).getJsonObject("model")
                .getInteger("version") : null;
        String reason;
        if (status != 200) {
            reason = "the activation was refused (" + status + ")";
        } else if (load.non200() > 0) {
            reason = load.non200() + " of " + load.sent() + " requests were not answered 200 around the swap: "
                    + load.statuses() + (load.errors() > 0 ? ", " + load.errors() + " failed" : "");
        } else if (load.completed() < load.sent()) {
            reason = (load.sent() - load.completed()) + " requests got no answer";
        } else if (served == null || served != to) {
            reason = "after the swap the server serves v" + served + ", not v" + to;
        } else {
            reason = "every request answered 200 through the swap to v" + to;
        }
        boolean passed = reason.startsWith("every request");
        return new Verdict(passed, reason, load, status, answer, served);
    }
}
