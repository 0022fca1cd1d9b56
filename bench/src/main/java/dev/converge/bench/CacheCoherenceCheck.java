package dev.converge.bench;

import io.vertx.core.json.JsonObject;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The seeds' cache-coherence check against a running server whose answers are cached: no answer is stale after a
 * version change. Each request body is sent twice (the second must come from the cache, from the serving version);
 * then the admin API activates {@code to}; then each body again, twice: every answer must name {@code to}, the
 * first of each must be computed (a cached answer for inputs {@code to} never scored would be another version's or
 * another artifact's), the second cached again in the new version's namespace. With {@code redisUrl}, the keys of
 * both versions' namespaces are counted in Redis (SCAN), to show the old ones are left to age out, not read.
 */
public final class CacheCoherenceCheck {
    private CacheCoherenceCheck() {}

    /** What the check saw; {@code passed} says whether it holds. */
    public record Verdict(boolean passed, String reason, String model, Integer from, int to, int rows,
                          List<String> problems, Long oldKeys, Long newKeys) {
        public String describe() {
            return String.format("%s: %s%n  model %s, v%s -> v%d, %d distinct requests, each twice before and twice"
                    + " after%s%s", passed ? "PASS" : "FAIL", reason, model, from, to, rows,
                    oldKeys == null ? "" : String.format("%n  Redis keys named %s:v%s:* %d, %s:v%d:* %d (any artifact of"
                            + " that name and version)", model, from, oldKeys, model, to, newKeys),
                    problems.isEmpty() ? "" : "\n  " + String.join("\n  ", problems.subList(0,
                            Math.min(10, problems.size()))) + (problems.size() > 10 ? "\n  ... " + (problems.size()
                            - 10) + " more" : ""));
        }
    }

    public static Verdict run(String baseUrl, String token, int to, String redisUrl, List<String> bodies)
            throws Exception {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        JsonObject ready = new JsonObject(get(http, baseUrl + "/health/ready"));
        JsonObject served = ready.getJsonObject("model");
        if (!ready.getBoolean("ready", false) || served == null) {
            return new Verdict(false, "the server is not ready: " + ready.encode(), null, null, to, bodies.size(),
                    List.of(), null, null);
        }
        String model = served.getString("name");
        int from = served.getInteger("version");
        String cache = String.valueOf(served.getValue("cache"));
        if (!cache.startsWith("on")) {
            return new Verdict(false, "the server does not cache model " + model + "'s answers (cache: " + cache
                    + "); nothing to check (serve.cache=always caches every model)", model, from, to, bodies.size(),
                    List.of(), null, null);
        }
        if (from == to) {
            return new Verdict(false, "the server already serves v" + to + "; give another version to change to",
                    model, from, to, bodies.size(), List.of(), null, null);
        }
        List<String> problems = new ArrayList<>();
        int[] retried = {0};
        for (int i = 0; i < bodies.size(); i++) {
            predict(http, baseUrl, bodies.get(i));
            JsonObject again = cachedAgain(http, baseUrl, bodies.get(i), from, retried);
            expect(problems, "before, request " + i + " again", again, from, true);
        }
        if (!problems.isEmpty()) {
            return new Verdict(false, "before the change the cache did not answer as it should", model, from, to,
                    bodies.size(), problems, null, null);
        }
        // A cached first answer from v{to} is stale unless v{to} had already cached these inputs (an earlier run):
        // with Redis at hand that is known; without it, an empty namespace is assumed and a hit is reported.
        long newBefore = redisUrl == null ? 0 : countKeys(redisUrl, model + ":v" + to + ":*");
        HttpRequest.Builder activate = HttpRequest.newBuilder(URI.create(baseUrl + "/admin/models/" + to
                + "/activate")).timeout(Duration.ofSeconds(60)).POST(HttpRequest.BodyPublishers.noBody());
        if (token != null) {
            activate.header("Authorization", "Bearer " + token);
        }
        HttpResponse<String> r = http.send(activate.build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            return new Verdict(false, "the activation of v" + to + " was refused (" + r.statusCode() + " " + r.body()
                    + ")", model, from, to, bodies.size(), List.of(), null, null);
        }
        for (int i = 0; i < bodies.size(); i++) {
            JsonObject first = predict(http, baseUrl, bodies.get(i));
            if (newBefore == 0) {
                expect(problems, "after, request " + i + " (v" + to + " had cached nothing"
                        + (redisUrl == null ? ", assumed: give the Redis URL to know)" : ")"), first, to, false);
            } else { // v{to} may hold these inputs already: only the version is checked
                expect(problems, "after, request " + i, first, to, null);
            }
            expect(problems, "after, request " + i + " again", cachedAgain(http, baseUrl, bodies.get(i), to, retried), to, true);
        }
        Long oldKeys = null;
        Long newKeys = null;
        if (redisUrl != null) {
            oldKeys = countKeys(redisUrl, model + ":v" + from + ":*");
            newKeys = countKeys(redisUrl, model + ":v" + to + ":*");
        }
        String reason = problems.isEmpty() ? "no stale answer: every answer after the change came from v" + to
                + (newBefore == 0 ? ", computed first, then from its own cache entries" : ", from its own cache"
                + " entries or entries of that name and version from before (" + newBefore + " keys named " + model
                + ":v" + to + ":* were in Redis before the change, so a cached first answer was not counted stale)")
                : problems.size() + " answers after the change were stale or not cached as they should be";
        if (retried[0] > 0) {
            reason += " (" + retried[0] + " answer(s) expected from the cache were asked again: the server had scored"
                    + " them without it, as it does when it reads Redis's reply late)";
        }
        return new Verdict(problems.isEmpty(), reason, model, from, to, bodies.size(), problems, oldKeys, newKeys);
    }

    /**
     * The body sent again until it is answered from the cache, at most three times. A server that read Redis's reply
     * late (its own loop busy) scores without the cache and stores nothing, by design (it is not Redis failing): one
     * such answer is not incoherence. An answer of the wrong version ends the retries at once (that is staleness).
     */
    private static JsonObject cachedAgain(HttpClient http, String baseUrl, String body, int version, int[] retried)
            throws Exception {
        JsonObject answer = null;
        for (int attempt = 0; attempt < 3; attempt++) {
            if (attempt > 0) {
                retried[0]++;
            }
            answer = predict(http, baseUrl, body);
            JsonObject m = answer.getJsonObject("model");
            if (answer.getBoolean("cached", false) || m == null || m.getInteger("version", -1) != version) {
                return answer;
            }
            Thread.sleep(50);
        }
        return answer;
    }

    /** The answer must come from {@code version}, and from the cache or not as {@code cached} says (null: either). */
    private static void expect(List<String> problems, String what, JsonObject answer, int version, Boolean cached) {
        JsonObject m = answer.getJsonObject("model");
        Integer v = m == null ? null : m.getInteger("version");
        if (v == null || v != version) {
            problems.add(what + ": answered by v" + v + ", not v" + version + ": " + answer.encode());
        } else if (cached != null && answer.getBoolean("cached", false) != cached) {
            problems.add(what + ": cached=" + answer.getBoolean("cached") + ", expected " + cached
                    + (answer.getBoolean("degraded", false) ? " (degraded: " + answer.getString("degraded_reason")
                    + ")" : "") + ": " + answer.encode());
        }
    }

    private static JsonObject predict(HttpClient http, String baseUrl, String body) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(baseUrl + "/v1/predict"))
                .timeout(Duration.ofSeconds(10)).header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IllegalStateException("POST /v1/predict answered " + r.statusCode() + ": " + r.body());
        }
        return new JsonObject(r.body());
    }

    private static String get(HttpClient http, String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).GET().build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    /** Keys matching {@code pattern} on a standalone Redis at redis://host:port, by SCAN (never KEYS). */
    static long countKeys(String redisUrl, String pattern) throws IOException {
        URI uri = URI.create(redisUrl);
        try (Socket s = new Socket(uri.getHost(), uri.getPort() < 0 ? 6379 : uri.getPort())) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            InputStream in = new BufferedInputStream(s.getInputStream());
            String cursor = "0";
            long n = 0;
            do {
                List<String> args = List.of("SCAN", cursor, "MATCH", pattern, "COUNT", "1000");
                StringBuilder cmd = new StringBuilder("*").append(args.size()).append("\r\n");
                for (String a : args) {
                    cmd.append('$').append(a.getBytes(StandardCharsets.UTF_8).length).append("\r\n").append(a)
                            .append("\r\n");
                }
                out.write(cmd.toString().getBytes(StandardCharsets.UTF_8));
                out.flush();
                expectLine(in, "*2");
                cursor = bulk(in);
                String count = line(in);
                if (!count.startsWith("*")) {
                    throw new IOException("unexpected Redis reply " + count);
                }
                for (int i = Integer.parseInt(count.substring(1)); i > 0; i--) {
                    bulk(in);
                    n++;
                }
            } while (!cursor.equals("0"));
            return n;
        }
    }

    private static void expectLine(InputStream in, String expected) throws IOException {
        String l = line(in);
        if (!l.equals(expected)) {
            throw new IOException("unexpected Redis reply " + l);
        }
    }

    private static String bulk(InputStream in) throws IOException {
        String head = line(in);
        if (!head.startsWith("$")) {
            throw new IOException("unexpected Redis reply " + head);
        }
        byte[] b = in.readNBytes(Integer.parseInt(head.substring(1)) + 2);
        return new String(b, 0, b.length - 2, StandardCharsets.UTF_8);
    }

    private static String line(InputStream in) throws IOException {
        StringBuilder b = new StringBuilder();
        for (int c = in.read(); c != '\n'; c = in.read()) {
            if (c < 0) {
                throw new IOException("Redis closed the connection");
            }
            if (c != '\r') {
                b.append((char) c);
            }
        }
        return b.toString();
    }
}
