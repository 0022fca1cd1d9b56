package dev.converge.bench;

import dev.converge.store.Database;
import dev.converge.registry.codec.Json;
import dev.converge.registry.ModelReference;
import dev.converge.registry.ModelRegistry;
import dev.converge.registry.ModelVersion;
import dev.converge.model.Mojo;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The serving benchmark: a prediction server and a plain Vert.x server, each in a JVM of its own, driven by the
 * constant-rate {@link LoadGenerator} from this one; raw h2o-genmodel scoring measured in a loop here, on the same
 * cores. Reports each scenario against those two upper bounds, measured in the same run.
 */
public final class ServeBenchmark {
    private static final String TOKEN = "bench-admin-token-0123456789";
    private final Database db;
    private final List<String> dbArgs;
    private final PrintStream out;
    private final String model;
    private final Class<?> serverMain;
    private String serverCpus;

    /**
     * @param serverMain the main class whose {@code serve} command starts the server under test (the CLI's), run in
     *                   child JVMs on this classpath with {@code dbArgs}
     */
    public ServeBenchmark(Database db, List<String> dbArgs, String model, PrintStream out, Class<?> serverMain) {
        this.serverMain = serverMain;
        this.db = db;
        this.dbArgs = dbArgs;
        this.model = model;
        this.out = out;
    }

    /**
     * Gives the servers under test CPUs of their own: each server JVM runs on {@code serverCpus} (a taskset list,
     * e.g. "1") and this JVM - the load generator - on {@code clientCpus}, so the generator no longer takes the
     * server's CPU time. Linux only (taskset).
     */
    public void pin(String serverCpus, String clientCpus) throws Exception {
        Process p = new ProcessBuilder("taskset", "-a", "-cp", clientCpus, Long.toString(ProcessHandle.current().pid()))
                .redirectErrorStream(true).start();
        String said = new String(p.getInputStream().readAllBytes()).trim();
        if (p.waitFor() != 0) {
            throw new IllegalStateException("taskset could not pin the load generator to CPUs " + clientCpus + ": "
                    + said);
        }
        this.serverCpus = serverCpus;
    }

    private String placement() {
        return serverCpus == null ? "server, load generator and databases share all CPUs"
                : "server pinned to CPU " + serverCpus + ", load generator to the others (taskset)";
    }

    public void run(double seconds) throws Exception {
        ModelRegistry registry = new ModelRegistry(db.dataSource());
        ModelVersion champion = registry.champion(model).orElseThrow(() -> new IllegalStateException(
                "model '" + model + "' has no champion: run ./converge quickstart (or train and promote) first"));
        List<ModelVersion> versions = registry.list(model);
        ModelVersion other = versions.stream().filter(v -> v.version() != champion.version()).findFirst()
                .orElseThrow(() -> new IllegalStateException("the hot-swap scenario needs a second version of '"
                        + model + "': train once more"));
        ModelReference ref = registry.reference(model, champion.version()).orElseThrow();
        int entities = countEntities();
        try (Connection conn = new Connection()) {
            out.println("## Prediction server, " + model + " v" + champion.version() + " (" + champion.algorithm() + ")");
            out.println();
            try (var c = db.connection()) {
                out.println("Machine: " + Machine.describe(c) + "; " + placement());
            }
            out.println();
            double[] raw = rawGenmodel(champion, ref.rows());
            int servePort = freePort();
            int plainPort = freePort();
            long t0 = System.nanoTime();
            // The scoring path itself, without the cache: every request is scored.
            Process serve = conn.start(List.of("-Xmx256m", "-XX:+UseSerialGC"), serverMain.getName(),
                    concat(List.of("serve", "--port", Integer.toString(servePort)), dbArgs),
                    Map.of("CONVERGE_SERVE_REDIS_URL", "none"));
            double coldStart = waitReady("http://127.0.0.1:" + servePort + "/health/ready", t0);
            Process plain = conn.start(List.of("-Xmx128m", "-XX:+UseSerialGC"), PlainServer.class.getName(),
                    List.of(Integer.toString(plainPort), "2"));
            waitListening(plainPort);
            String predict = "http://127.0.0.1:" + servePort + "/v1/predict";
            String batch = "http://127.0.0.1:" + servePort + "/v1/predict/batch";
            String plainUrl = "http://127.0.0.1:" + plainPort + "/";
            SplittableRandom rnd = new SplittableRandom(1);
            List<String> inline = new ArrayList<>();
            for (Map<String, Object> row : ref.rows()) {
                inline.add("{\"features\":" + Json.write(row) + "}");
            }
            try (LoadGenerator gen = new LoadGenerator(64)) {
                // warm-up: JIT, pools
                gen.run("warm-up", predict, 500, Math.min(5, seconds), Long.MAX_VALUE, i -> inline.get(i % inline.size()));
                gen.run("warm-up", plainUrl, 500, Math.min(3, seconds), Long.MAX_VALUE, i -> "{}");
                List<LoadGenerator.Result> results = new ArrayList<>();
                results.add(gen.run("upper bound: plain Vert.x route, constant JSON", plainUrl, 1000, seconds,
                        Long.MAX_VALUE, i -> "{}"));
                results.add(gen.run("inline features", predict, 1000, seconds, Long.MAX_VALUE,
                        i -> inline.get(i % inline.size())));

                results.add(gen.run("entity_id, PostgreSQL fetch", predict, 1000, seconds, Long.MAX_VALUE,
                        i -> "{\"entity_id\":\"" + (1 + rnd.nextInt(entities)) + "\"}"));
                results.add(gen.run("batch of 100 entity_ids (10 req/s = 1000 rows/s)", batch, 10, seconds,
                        Long.MAX_VALUE, i -> batchBody(rnd, entities)));
                LoadGenerator.Result swap = hotSwap(gen, predict, servePort, other.version(), champion.version(),
                        inline, seconds);
                results.add(swap);
                out.println(LoadGenerator.Result.header());
                results.forEach(r -> out.println(r.row()));
                out.println();
                out.printf("Raw h2o-genmodel scoring, one thread, %d reference rows in a loop: %.0f rows/s, p50 %.1f µs,"
                        + " p99 %.1f µs.%n", ref.rows().size(), raw[0], raw[1], raw[2]);
                out.printf("Cold start to ready (JVM launch, model load, sha256, reference check): %.2f s. RSS at steady"
                        + " state after the runs: %s.%n", coldStart, rss(serve.pid()));
                out.printf("Hot swap at 1000 req/s: %d non-200 of %d; %s%n", swap.non200(), swap.completed(),
                        swapNote);
                out.println();
                double best = sustainable(gen, predict, plainUrl, inline, raw[0]);
                cache(conn, gen, inline, entities, seconds);
                try (LoadGenerator wide = new LoadGenerator(1024)) {
                    // more connections than the server admits, so the queue forms at the server, where it is bounded
                    overload(conn, wide, inline, Math.min(60_000, 3 * Math.max(best, 1000)));
                }
            } finally {
                serve.destroy();
                plain.destroy();
            }
        }
    }

    private String swapNote = "";

    /** A second server, with the Redis cache (serve.redis_url, default local Redis): hits, and the miss path. */
    private void cache(Connection conn, LoadGenerator gen, List<String> inline, int entities, double seconds)
            throws Exception {
        int port = freePort();
        // serve.cache=always: the quickstart's GLM scores faster than a Redis lookup, so by default its answers are
        // not cached at all; this run measures the cache path itself.
        conn.start(List.of("-Xmx256m", "-XX:+UseSerialGC"), serverMain.getName(),
                concat(List.of("serve", "--port", Integer.toString(port)), dbArgs), Map.of("CONVERGE_SERVE_CACHE",
                        "always"));
        waitReady("http://127.0.0.1:" + port + "/health/ready", System.nanoTime());
        String url = "http://127.0.0.1:" + port + "/v1/predict";
        List<String> hot = inline.subList(0, Math.min(10, inline.size()));
        gen.run("warm-up", url, 500, Math.min(5, seconds), Long.MAX_VALUE, i -> hot.get(i % hot.size()));
        long salt = System.nanoTime();
        List<LoadGenerator.Result> rs = new ArrayList<>();
        rs.add(gen.run("cache hits: 10 distinct requests", url, 1000, seconds, Long.MAX_VALUE,
                i -> hot.get(i % hot.size())));
        rs.add(gen.run("cache misses: every request new (GET, score, SET)", url, 1000, seconds, Long.MAX_VALUE,
                i -> "{\"entity_id\":\"" + (1 + i % entities) + "\",\"features\":{\"annual_inc\":" + (salt % 100000 + i)
                        + "}}"));
        out.println();
        out.println("With the Redis cache (a second server JVM, local Redis):");
        out.println();
        out.println(LoadGenerator.Result.header());
        rs.forEach(r -> out.println(r.row()));
    }

    /**
     * Inline against offloaded scoring, and the worker pool's size (cores, 1.5x, 2x), for each model at its rate:
     * one server JVM per configuration, inline features from the model's reference rows.
     */
    public void crossover(List<String> models, List<Double> rates, double seconds) throws Exception {
        int cores = Runtime.getRuntime().availableProcessors();
        out.println("## Inline or worker-pool scoring, by model cost");
        out.println();
        try (var c = db.connection()) {
            out.println("Machine: " + Machine.describe(c) + "; " + placement());
        }
        out.println();
        out.println("| model | genmodel p90 µs/row (at load) | scoring | workers | target req/s | achieved | p50 ms | p99 ms |"
                + " p99.9 ms | max ms |");
        out.println("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|");
        ModelRegistry registry = new ModelRegistry(db.dataSource());
        for (int m = 0; m < models.size(); m++) {
            String name = models.get(m);
            ModelVersion v = registry.champion(name).orElseThrow(() -> new IllegalStateException(
                    "model '" + name + "' has no champion"));
            List<String> inline = new ArrayList<>();
            for (Map<String, Object> row : registry.reference(name, v.version()).orElseThrow().rows()) {
                inline.add("{\"features\":" + Json.write(row) + "}");
            }
            // inline twice, first and last, so that an order effect (machine warming up) shows
            int[][] configs = {{1, cores}, {0, cores}, {0, cores * 3 / 2}, {0, cores * 2}, {1, cores}};
            for (int[] cfg : configs) {
                try (Connection conn = new Connection(); LoadGenerator gen = new LoadGenerator(64)) {
                    int port = freePort();
                    conn.start(List.of("-Xmx256m", "-XX:+UseSerialGC"), serverMain.getName(),
                            concat(List.of("serve", "--port", Integer.toString(port), "--model", name), dbArgs),
                            Map.of("CONVERGE_SERVE_INLINE_SCORING_MAX_US", cfg[0] == 1 ? "1000000000" : "0",
                                    "CONVERGE_SERVE_SCORING_WORKERS", Integer.toString(cfg[1])));
                    waitReady("http://127.0.0.1:" + port + "/health/ready", System.nanoTime());
                    String ready = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(
                            "http://127.0.0.1:" + port + "/health/ready")).build(),
                            HttpResponse.BodyHandlers.ofString()).body();
                    double p99 = new io.vertx.core.json.JsonObject(ready).getJsonObject("model").getDouble("p90_us");
                    String url = "http://127.0.0.1:" + port + "/v1/predict";
                    double rate = rates.get(m);
                    gen.run("warm-up", url, rate, 3, Long.MAX_VALUE, i -> inline.get(i % inline.size()));
                    LoadGenerator.Result r = gen.run(name, url, rate, seconds, Long.MAX_VALUE,
                            i -> inline.get(i % inline.size()));
                    out.printf("| %s v%d (%s) | %.1f | %s | %s | %.0f | %.0f | %.2f | %.2f | %.2f | %.2f |%n", name,
                            v.version(), v.algorithm(), p99, cfg[0] == 1 ? "inline" : "worker",
                            cfg[0] == 1 ? "-" : Integer.toString(cfg[1]), rate, r.achievedRate(),
                            r.latency().getValueAtPercentile(50) / 1000.0, r.latency().getValueAtPercentile(99) / 1000.0,
                            r.latency().getValueAtPercentile(99.9) / 1000.0, r.latency().getMaxValue() / 1000.0);
                }
            }
        }
    }

    private LoadGenerator.Result hotSwap(LoadGenerator gen, String predict, int port, int to, int back,
                                         List<String> inline, double seconds) throws Exception {
        Thread admin = new Thread(() -> {
            try {
                Thread.sleep((long) (seconds * 1000 / 3));
                String a = gen.post("http://127.0.0.1:" + port + "/admin/models/" + to + "/activate", TOKEN);
                Thread.sleep((long) (seconds * 1000 / 3));
                String b = gen.post("http://127.0.0.1:" + port + "/admin/models/rollback", TOKEN);
                swapNote = "activate v" + to + ": " + a + "; rollback: " + b;
            } catch (Exception e) {
                swapNote = "admin call failed: " + e;
            }
        });
        admin.start();
        LoadGenerator.Result r = gen.run("hot swap to v" + to + " and rollback during the run", predict, 1000, seconds,
                Long.MAX_VALUE, i -> inline.get(i % inline.size()));
        admin.join();
        return r;
    }

    /**
     * Overload of one model: first its sustainable rate (steps from {@code start}), then 3x that rate for 5 s
     * against a server with the default bounds, then 2 s at 100 req/s.
     */
    public void overload(String name, double start) throws Exception {
        ModelRegistry registry = new ModelRegistry(db.dataSource());
        ModelVersion v = registry.champion(name).orElseThrow(() -> new IllegalStateException(
                "model '" + name + "' has no champion"));
        List<String> inline = new ArrayList<>();
        for (Map<String, Object> row : registry.reference(name, v.version()).orElseThrow().rows()) {
            inline.add("{\"features\":" + Json.write(row) + "}");
        }
        out.println("## Overload, " + name + " v" + v.version() + " (" + v.algorithm() + ")");
        out.println();
        try (var c = db.connection()) {
            out.println("Machine: " + Machine.describe(c) + "; " + placement());
        }
        out.println();
        try (Connection conn = new Connection(); LoadGenerator gen = new LoadGenerator(1024)) {
            int port = freePort();
            conn.start(List.of("-Xmx256m", "-XX:+UseSerialGC"), serverMain.getName(),
                    concat(List.of("serve", "--port", Integer.toString(port), "--model", name), dbArgs),
                    Map.of("CONVERGE_SERVE_REDIS_URL", "none"));
            waitReady("http://127.0.0.1:" + port + "/health/ready", System.nanoTime());
            double[] steps = new double[8];
            for (int i = 0; i < steps.length; i++) {
                steps[i] = start * (1 + i * 0.5);
            }
            gen.run("warm-up", "http://127.0.0.1:" + port + "/v1/predict", start, 3, Long.MAX_VALUE,
                    i -> inline.get(i % inline.size()));
            double best = best(gen, name, "http://127.0.0.1:" + port + "/v1/predict", steps,
                    i -> inline.get(i % inline.size()));
            conn.close();
            overload(new Connection(), gen, inline, 3 * Math.max(best, start), name);
        }
    }

    /** 3x the sustainable rate for 5 s against a server with the default bounds; then 2 s at 100 req/s. */
    private void overload(Connection conn, LoadGenerator gen, List<String> inline, double rate) throws Exception {
        overload(conn, gen, inline, rate, model);
    }

    private void overload(Connection conn, LoadGenerator gen, List<String> inline, double rate, String name)
            throws Exception {
        int port = freePort();
        conn.start(List.of("-Xmx256m", "-XX:+UseSerialGC"), serverMain.getName(),
                concat(List.of("serve", "--port", Integer.toString(port), "--model", name), dbArgs),
                Map.of("CONVERGE_SERVE_REDIS_URL", "none")); // otherwise the defaults, or this process's env
        waitReady("http://127.0.0.1:" + port + "/health/ready", System.nanoTime());
        String url = "http://127.0.0.1:" + port + "/v1/predict";
        gen.run("warm-up", url, 1000, 3, Long.MAX_VALUE, i -> inline.get(i % inline.size()));
        String metricsUrl = "http://127.0.0.1:" + port + "/metrics";
        String before = get(metricsUrl);
        LoadGenerator.Result r = gen.run("overload", url, rate, 5, Long.MAX_VALUE, i -> inline.get(i % inline.size()));
        String during = get(metricsUrl);
        LoadGenerator.Result after = gen.run("after", url, 100, 2, Long.MAX_VALUE, i -> inline.get(i % inline.size()));
        conn.close();
        ServerHistogram served = ServerHistogram.parse(during, "http_server_requests_seconds",
                Map.of("route", "/v1/predict", "status", "200")).minus(ServerHistogram.parse(before,
                "http_server_requests_seconds", Map.of("route", "/v1/predict", "status", "200")));
        ServerHistogram lag = ServerHistogram.parse(during, "converge_eventloop_lag_seconds", Map.of())
                .minus(ServerHistogram.parse(before, "converge_eventloop_lag_seconds", Map.of()));
        String shedBy = shedBy(before, during);
        long expired = delta(before, during, "converge_scoring_expired_total", Map.of());
        out.println();
        out.printf("Overload: %.0f req/s offered for 5 s (3x the sustainable rate; 1024 client connections), %.0f req/s"
                        + " answered (200 or 503): %d answered 200 (p50 %.2f ms, p99 %.2f ms of those from their due"
                        + " time; from the request's write, p50 %.2f ms, p99 %.2f ms), %d shed with 503,"
                        + " %d other, %d errors. Inside the server, from reading the request to answering it:"
                        + " p50 <= %.1f ms, p99 <= %.1f ms of the %d answered 200 (bucket bounds); event-loop lag p99 <= %.1f ms."
                        + " Shed at admission by bound: %s; dropped after waiting past the deadline: %d."
                        + " Afterwards at 100 req/s: %d of %d answered 200, p99 %.2f ms.%n", rate,
                r.achievedRate(), r.statuses().getOrDefault(200, 0L), r.ok().getValueAtPercentile(50) / 1000.0,
                r.ok().getValueAtPercentile(99) / 1000.0, r.okFromSend().getValueAtPercentile(50) / 1000.0,
                r.okFromSend().getValueAtPercentile(99) / 1000.0, r.statuses().getOrDefault(503, 0L),
                r.non200() - r.errors() - r.statuses().getOrDefault(503, 0L), r.errors(),
                served.quantile(0.5) * 1000, served.quantile(0.99) * 1000, served.count(), lag.quantile(0.99) * 1000,
                shedBy, expired, after.statuses().getOrDefault(200, 0L), after.completed(),
                after.latency().getValueAtPercentile(99) / 1000.0);
    }

    /**
     * Goodput of one model under the load shapes real clients send, against a server with the default bounds and no
     * cache (every request scored): closed loops (each client sends its next request the moment an answer, 503
     * included, arrives) of 32, 256 and 1024 clients; bursts of 50 clients at 20 req/s each (1000 req/s in bursts of
     * 50); bursts sized to 70% of the sustainable rate. Then, when the model's entities are stored, 32 closed-loop
     * clients by entity id: the PostgreSQL path, whose breaker load alone must not open. The sustainable rate is
     * raw genmodel's rows/s on one thread: what one core can score. Pin the server to one core ({@link #pin}) to
     * make that the server's capacity.
     */
    public void goodput(String name, double seconds) throws Exception {
        ModelRegistry registry = new ModelRegistry(db.dataSource());
        ModelVersion v = registry.champion(name).orElseThrow(() -> new IllegalStateException(
                "model '" + name + "' has no champion"));
        List<Map<String, Object>> rows = registry.reference(name, v.version()).orElseThrow().rows();
        List<String> inline = new ArrayList<>();
        for (Map<String, Object> row : rows) {
            inline.add("{\"features\":" + Json.write(row) + "}");
        }
        out.println("## Goodput under real load shapes, " + name + " v" + v.version() + " (" + v.algorithm() + ")");
        out.println();
        try (var c = db.connection()) {
            out.println("Machine: " + Machine.describe(c) + "; " + placement());
        }
        double sustainable = rawGenmodel(v, rows)[0];
        out.printf("%nSustainable rate: %.0f rows/s (raw h2o-genmodel, one thread, the %d reference rows in a loop)."
                + " Server: default bounds, cache off, %d s per shape.%n%n", sustainable, rows.size(), (long) seconds);
        try (Connection conn = new Connection(); LoadGenerator gen = new LoadGenerator(64)) {
            int port = freePort();
            conn.start(List.of("-Xmx256m", "-XX:+UseSerialGC"), serverMain.getName(),
                    concat(List.of("serve", "--port", Integer.toString(port), "--model", name), dbArgs),
                    Map.of("CONVERGE_SERVE_REDIS_URL", "none"));
            waitReady("http://127.0.0.1:" + port + "/health/ready", System.nanoTime());
            String url = "http://127.0.0.1:" + port + "/v1/predict";
            String metricsUrl = "http://127.0.0.1:" + port + "/metrics";
            java.util.function.IntFunction<String> body = i -> inline.get(i % inline.size());
            gen.closedLoop("warm-up", url, 32, 20, body); // the JIT settles: a 1000-tree model takes its time
            String before = get(metricsUrl);
            List<LoadGenerator.ShapeResult> results = new ArrayList<>();
            for (int clients : new int[] {32, 256, 1024}) {
                results.add(gen.closedLoop("closed loop, retry at once", url, clients, seconds, body));
            }
            results.add(gen.bursts("bursts: 50 clients x 20 req/s", url, 50, 20, seconds, body));
            int clients70 = (int) Math.max(1, Math.round(0.7 * sustainable / 20));
            results.add(gen.bursts(String.format("bursts at 70%% of sustainable: %d clients x 20 req/s", clients70), url,
                    clients70, 20, seconds, body));
            String during = get(metricsUrl);
            out.println(LoadGenerator.ShapeResult.header());
            for (LoadGenerator.ShapeResult r : results) {
                out.println(r.row(sustainable));
            }
            out.printf("%nShed by bound over these runs: %s; dropped past the deadline: %d.%n", shedBy(before, during),
                    delta(before, during, "converge_scoring_expired_total", Map.of()));
            int entities = countEntities();
            if (entities > 0) {
                LoadGenerator.ShapeResult byId = gen.closedLoop("closed loop by entity_id (PostgreSQL fetch)", url,
                        32, Math.min(seconds, 5), i -> "{\"entity_id\":\"" + (1 + i % entities) + "\"}");
                String after = get(metricsUrl);
                out.printf("%nThe PostgreSQL path:%n%n%s%n%s%n", LoadGenerator.ShapeResult.header(),
                        byId.row(sustainable));
                out.printf("%nAfterwards: breaker postgresql %s; during it: degraded answers %d, breaker calls not"
                                + " counted (our own queue or loop) %d, shed: %s.%n",
                        ServerHistogram.sum(after, "converge_breaker_state", Map.of("dependency", "postgresql")) == 0
                                ? "closed" : "NOT closed",
                        delta(during, after, "converge_degraded_total", Map.of()),
                        delta(during, after, "converge_breaker_ignored_total", Map.of("dependency", "postgresql")),
                        shedBy(during, after));
            }
        }
    }

    /** Refusals by bound between two scrapes of /metrics. */
    private static String shedBy(String before, String after) {
        StringBuilder out = new StringBuilder();
        for (String reason : List.of("in_flight", "queue_length", "queue_wait", "loop_lag", "pg_pool", "saturated")) {
            out.append(out.length() == 0 ? "" : ", ").append(reason).append(' ')
                    .append(delta(before, after, "converge_shed_total", Map.of("reason", reason)));
        }
        return out.toString();
    }

    /** How much a counter grew between two scrapes of /metrics. */
    private static long delta(String before, String after, String metric, Map<String, String> labels) {
        return Math.round(ServerHistogram.sum(after, metric, labels) - ServerHistogram.sum(before, metric, labels));
    }

    private static String get(String url) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10))
                .build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    private double sustainable(LoadGenerator gen, String predict, String plainUrl, List<String> inline, double rawRate)
            throws Exception {
        double[] rates = {1000, 2000, 4000, 8000, 12000, 16000, 20000, 24000, 28000, 32000, 40000, 48000, 64000};
        double bestServe = best(gen, "inline features", predict, rates, i -> inline.get(i % inline.size()));
        double bestPlain = best(gen, "plain route", plainUrl, rates, i -> "{}");
        double bound = Math.max(1, Math.min(bestPlain, rawRate));
        out.println();
        out.printf("Highest sustainable rate (achieved >= 95%% of target, p99 < 50 ms, no errors, 5 s steps):"
                        + " prediction server %.0f req/s, plain route %.0f req/s, raw genmodel %.0f rows/s;"
                        + " %.0f%% of the lower bound (%.0f).%n", bestServe, bestPlain, rawRate,
                100 * bestServe / bound, bound);
        return bestServe;
    }

    private double best(LoadGenerator gen, String name, String url, double[] rates,
                        java.util.function.IntFunction<String> body) throws Exception {
        double best = 0;
        out.println("Step test, " + name + ":");
        out.println();
        out.println(LoadGenerator.Result.header());
        for (double rate : rates) {
            boolean ok = false;
            for (int attempt = 0; attempt < 2 && !ok; attempt++) { // one retry: a single hiccup is not a limit
                LoadGenerator.Result r = gen.run(name, url, rate, 5, Long.MAX_VALUE, body);
                out.println(r.row() + (attempt > 0 ? " (retry)" : ""));
                ok = r.achievedRate() >= 0.95 * rate && r.non200() == 0
                        && r.latency().getValueAtPercentile(99) < 50_000;
            }
            if (!ok) {
                break;
            }
            best = rate;
        }
        out.println();
        return best;
    }

    private static String batchBody(SplittableRandom rnd, int entities) {
        StringBuilder sb = new StringBuilder("{\"rows\":[");
        for (int k = 0; k < 100; k++) {
            sb.append(k == 0 ? "" : ",").append("{\"entity_id\":\"").append(1 + rnd.nextInt(entities)).append("\"}");
        }
        return sb.append("]}").toString();
    }

    /** rows/s, p50 µs, p99 µs of scoring the reference rows in a loop for about 3 s on one thread. */
    private static double[] rawGenmodel(ModelVersion v, List<Map<String, Object>> rows) throws Exception {
        Mojo m = Mojo.load(Path.of(URI.create(v.artifactUri())));
        if (v.metrics().get("reducer") instanceof Map<?, ?> r) { // reference rows are the reducer's inputs
            m = m.withReducer(dev.converge.model.Reducer.fromRecord(r));
        }
        List<Mojo.Row> data = new ArrayList<>();
        for (Map<String, Object> r : rows) {
            data.add(m.prepared(r)); // reduced once here: the loop times the model's own scoring
        }
        org.HdrHistogram.Histogram h = new org.HdrHistogram.Histogram(60_000_000_000L, 3);
        long end = System.nanoTime() + 3_000_000_000L;
        long n = 0;
        long started = System.nanoTime();
        while (System.nanoTime() < end) {
            for (Mojo.Row d : data) {
                long t0 = System.nanoTime();
                m.raw(d);
                h.recordValue(Math.max(1, System.nanoTime() - t0));
                n++;
            }
        }
        double secs = (System.nanoTime() - started) / 1e9;
        return new double[] {n / secs, h.getValueAtPercentile(50) / 1000.0, h.getValueAtPercentile(99) / 1000.0};
    }

    private int countEntities() throws Exception {
        try (var c = db.connection(); var rs = c.createStatement().executeQuery("SELECT count(*) FROM feature_online"
                + " WHERE entity_id ~ '^[0-9]+$'")) {
            rs.next();
            int n = rs.getInt(1);
            if (n == 0) {
                throw new IllegalStateException("no numbered entities in feature_online: run ./converge quickstart");
            }
            return n;
        }
    }

    private static double waitReady(String url, long t0) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        for (int i = 0; i < 600; i++) {
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(1))
                        .build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) {
                    return (System.nanoTime() - t0) / 1e9;
                }
            } catch (java.io.IOException e) {
                // not listening yet
            }
            Thread.sleep(20);
        }
        throw new IllegalStateException("the prediction server did not become ready within 12 s");
    }

    private static void waitListening(int port) throws Exception {
        for (int i = 0; i < 300; i++) {
            try (java.net.Socket s = new java.net.Socket("127.0.0.1", port)) {
                return;
            } catch (java.io.IOException e) {
                Thread.sleep(20);
            }
        }
        throw new IllegalStateException("the plain server did not listen on " + port);
    }

    private static String rss(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return line.substring(6).trim();
                }
            }
        } catch (Exception e) {
            // not Linux
        }
        return "unknown";
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> out = new ArrayList<>(a);
        out.addAll(b);
        return out;
    }

    /** Child JVMs on this classpath (on the server CPUs when pinned), killed on close. */
    private final class Connection implements AutoCloseable {
        private final List<Process> children = new ArrayList<>();

        Process start(List<String> jvm, String main, List<String> args) throws Exception {
            return start(jvm, main, args, Map.of());
        }

        Process start(List<String> jvm, String main, List<String> args, Map<String, String> env) throws Exception {
            List<String> cmd = new ArrayList<>();
            if (serverCpus != null) {
                cmd.addAll(List.of("taskset", "-c", serverCpus));
            }
            cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            cmd.addAll(jvm);
            cmd.add("-cp");
            cmd.add(System.getProperty("java.class.path"));
            cmd.add(main);
            cmd.addAll(args);
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD);
            pb.environment().put("CONVERGE_SERVE_ADMIN_TOKEN", TOKEN);
            pb.environment().putAll(env);
            Process p = pb.start();
            children.add(p);
            return p;
        }

        @Override
        public void close() {
            children.forEach(Process::destroyForcibly);
        }
    }
}
