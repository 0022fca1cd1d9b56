package dev.converge.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

/**
 * What a client pays for "these 50 entities' features, history and predictions": one GraphQL query, one REST batch
 * of 50 (predictions only), or 50 single REST calls sent at once. Units (a query, a batch, or the 50 calls) are
 * started at a fixed rate; a unit's latency runs from when it was due to its last answer (so a stall is charged to
 * every unit it delays). SQL statements per unit are the database's committed transactions over the run (each
 * statement outside a transaction block is one), less those of an idle period of the same length.
 *
 * <pre>java -cp converge-cli.jar dev.converge.bench.GraphQlBenchmark http://127.0.0.1:8080 JDBC_URL UNITS_PER_S SECONDS</pre>
 */
public final class GraphQlBenchmark {
    private GraphQlBenchmark() {}

    record Unit(String name, List<String[]> requests) {}

    public static void main(String[] args) throws Exception {
        String base = args[0];
        String jdbc = args[1];
        double rate = Double.parseDouble(args[2]);
        int seconds = Integer.parseInt(args[3]);
        int n = args.length > 4 ? Integer.parseInt(args[4]) : 50;
        String ids = IntStream.rangeClosed(1, n).mapToObj(i -> "\\\"" + i + "\\\"")
                .collect(Collectors.joining(", ", "[", "]"));
        String full = "{\"query\": \"{ entities(ids: " + ids + ") { id features(temperature: HOT) history(limit: 3)"
                + " { eventTimestamp features } prediction { value probabilities degraded } } }\"}";
        String predictionsOnly = "{\"query\": \"{ entities(ids: " + ids + ") { id prediction { value probabilities"
                + " degraded } } }\"}";
        String batch = IntStream.rangeClosed(1, n).mapToObj(i -> "{\"entity_id\": \"" + i + "\"}")
                .collect(Collectors.joining(", ", "{\"rows\": [", "]}"));
        List<String[]> singles = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            singles.add(new String[] {"/v1/predict", "{\"entity_id\": \"" + i + "\"}"});
        }
        List<Unit> units = List.of(
                new Unit("GraphQL: " + n + " entities, features + history + prediction",
                        List.<String[]>of(new String[] {"/graphql", full})),
                new Unit("GraphQL: " + n + " entities, prediction only",
                        List.<String[]>of(new String[] {"/graphql", predictionsOnly})),
                new Unit("REST: one batch of " + n + " entity rows (predictions only)",
                        List.<String[]>of(new String[] {"/v1/predict/batch", batch})),
                new Unit("REST: " + n + " single calls at once (predictions only)", singles));
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .executor(Executors.newFixedThreadPool(4)).build();
        System.out.println("| unit | units/s | completed | non-200 | p50 ms | p99 ms | max ms | SQL statements per unit |");
        System.out.println("|---|---:|---:|---:|---:|---:|---:|---:|");
        try (Connection db = DriverManager.getConnection(jdbc, "postgres", null)) {
            for (Unit u : units) {
                run(http, base, u, rate, 3); // warm-up
                long idle = commits(db);
                Thread.sleep(seconds * 1000L);
                idle = commits(db) - idle;
                long before = commits(db);
                Result r = run(http, base, u, rate, seconds);
                long statements = commits(db) - before - idle;
                System.out.printf("| %s | %.0f | %d | %d | %.2f | %.2f | %.2f | %.1f |%n", u.name(), rate, r.completed,
                        r.non200, r.latency.getValueAtPercentile(50) / 1000.0,
                        r.latency.getValueAtPercentile(99) / 1000.0, r.latency.getMaxValue() / 1000.0,
                        (double) statements / Math.max(1, r.completed));
            }
        }
        System.exit(0);
    }

    record Result(long completed, long non200, Histogram latency) {}

    private static long commits(Connection db) throws Exception {
        try (ResultSet rs = db.createStatement().executeQuery("SELECT xact_commit FROM pg_stat_database WHERE datname"
                + " = current_database()")) {
            rs.next();
            long v = rs.getLong(1);
            db.createStatement().execute("SELECT pg_stat_clear_snapshot()");
            return v;
        }
    }

    private static Result run(HttpClient http, String base, Unit unit, double rate, int seconds) throws Exception {
        Histogram latency = new ConcurrentHistogram(3_600_000_000L, 3);
        AtomicLong completed = new AtomicLong();
        AtomicLong non200 = new AtomicLong();
        long start = System.nanoTime();
        long total = (long) (rate * seconds);
        List<CompletableFuture<Void>> all = new ArrayList<>();
        for (long i = 0; i < total; i++) {
            long due = start + (long) (i * 1e9 / rate);
            long wait = due - System.nanoTime();
            if (wait > 0) {
                TimeUnit.NANOSECONDS.sleep(wait);
            }
            List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
            for (String[] req : unit.requests()) {
                calls.add(http.sendAsync(HttpRequest.newBuilder(URI.create(base + req[0]))
                        .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString(req[1]))
                        .build(), HttpResponse.BodyHandlers.ofString()));
            }
            all.add(CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new)).handle((v, e) -> {
                latency.recordValue(Math.max(1, (System.nanoTime() - due) / 1000));
                completed.incrementAndGet();
                boolean ok = e == null && calls.stream().allMatch(c -> c.join().statusCode() == 200
                        && !c.join().body().contains("\"errors\""));
                if (!ok) {
                    non200.incrementAndGet();
                }
                return null;
            }));
        }
        CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
        return new Result(completed.get(), non200.get(), latency);
    }
}
