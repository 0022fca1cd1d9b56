package dev.converge.serve;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.converge.serve.config.Resilience;
import dev.converge.serve.config.ServeConfig;
import io.vertx.core.json.JsonObject;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Online reads from a PostgreSQL hot standby ({@code serve.online_read_url}): a primary and a standby streaming from
 * it, both started by the test on loopback. The server reads the entities' features from the standby (shown by
 * pausing the standby's replay: a change on the primary is not seen until replay resumes), writes nothing there (it
 * is read-only: the registry, the log and the notifications stay on the primary), and when the standby is killed
 * under load every request is still answered 200 with a real prediction, from the primary; when it returns, reads go
 * back to it.
 */
class StandbyReadsIT {
    @TempDir
    Path work;

    @Test
    void onlineReadsComeFromTheStandbyAndFallBackToThePrimaryWhenItDies() throws Exception {
        Path bin = LocalPostgres.binaries().orElse(null);
        assumeTrue(bin != null, "no PostgreSQL server binaries under /usr/lib/postgresql (apt-get install postgresql)");
        try (LocalPostgres primary = LocalPostgres.primary(bin, freePort());
             LocalPostgres standby = primary.standby(freePort())) {
            ServeFixture fixture = new ServeFixture(work, primary.url());
            String schema = fixture.schema;
            String standbyUrl = standby.url() + "?user=postgres&currentSchema=" + schema;
            try (Connection s = DriverManager.getConnection(standbyUrl)) {
                awaitReplayed(s, count(fixture), Duration.ofSeconds(30));
                assertThat(one(s, "SELECT pg_is_in_recovery()")).isEqualTo("t");
            }
            PredictionServer server = PredictionServer.start(ServeConfig.builder().port(0).eventLoops(1)
                    .scoringWorkers(2).inlineScoringMaxMicros(50).batchMaxRows(100).bodyLimitBytes(64 * 1024)
                    .pgPoolSize(4).resilience(Resilience.builder().redisUrl("none").breakerOpenSeconds(2).build())
                    .onlineReadUrl(standby.url()).build(),
                    fixture.db.endpoint(), null).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            String base = "http://127.0.0.1:" + server.port();
            try {
                ServeFixture.awaitModel(server);
                JsonObject before = predict(http, base, "5");
                assertThat(before.getBoolean("degraded")).as(before.encode()).isFalse();
                // A label is a write: to the primary at once, never tried on the standby (which refuses writes).
                double fallbacksBefore = metric(http, base, "converge_pg_replica_fallbacks_total");
                HttpResponse<String> label = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/feedback"))
                        .timeout(Duration.ofSeconds(10)).header("content-type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(new JsonObject().put("prediction_id",
                                before.getString("prediction_id")).put("label", "good").encode())).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(label.statusCode()).as(label.body()).isBetween(200, 299);
                assertThat(metric(http, base, "converge_pg_replica_fallbacks_total")).as("the write went to the"
                        + " primary only").isEqualTo(fallbacksBefore);

                // Replay paused on the standby: the primary's change is not there yet, so the answer cannot move.
                try (Connection s = DriverManager.getConnection(standbyUrl);
                     Connection p = fixture.db.connection()) {
                    one(s, "SELECT pg_wal_replay_pause()");
                    p.createStatement().execute("UPDATE feature_online SET hot = jsonb_set(hot, '{int_rate}', '30.5')"
                            + " WHERE entity_id = '5'");
                    Thread.sleep(300);
                    // (A read the standby answers late is asked of the primary, which has the change: such a read,
                    // seen in the fallback counter, proves nothing either way and is asked again.)
                    boolean fromStandby = false;
                    for (int attempt = 0; attempt < 5 && !fromStandby; attempt++) {
                        double fallbacks = metric(http, base, "converge_pg_replica_fallbacks_total");
                        JsonObject paused = predict(http, base, "5");
                        if (metric(http, base, "converge_pg_replica_fallbacks_total") == fallbacks) {
                            assertThat(paused.getJsonObject("probabilities")).as("read from the paused standby")
                                    .isEqualTo(before.getJsonObject("probabilities"));
                            fromStandby = true;
                        }
                    }
                    assertThat(fromStandby).as("a read answered by the standby").isTrue();
                    double replicaReads = metric(http, base, "converge_pg_replica_reads_total");
                    assertThat(replicaReads).isGreaterThanOrEqualTo(2);
                    one(s, "SELECT pg_wal_replay_resume()");
                }
                JsonObject after = null;
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (System.nanoTime() < deadline) {
                    after = predict(http, base, "5");
                    if (!after.getJsonObject("probabilities").equals(before.getJsonObject("probabilities"))) {
                        break;
                    }
                    Thread.sleep(50);
                }
                assertThat(after.getJsonObject("probabilities")).as("the change, once replayed")
                        .isNotEqualTo(before.getJsonObject("probabilities"));

                // The standby dies under load: every request still answered 200 with a prediction, from the primary.
                AtomicBoolean stop = new AtomicBoolean();
                AtomicInteger ok = new AtomicInteger();
                AtomicInteger degraded = new AtomicInteger();
                AtomicInteger failed = new AtomicInteger();
                StringBuffer firstFailure = new StringBuffer();
                // Four clients, each at most 100 requests a second: load, not saturation (this machine's two cores
                // also run both PostgreSQL clusters and the test).
                ExecutorService clients = Executors.newFixedThreadPool(4);
                for (int c = 0; c < 4; c++) {
                    int client = c;
                    clients.submit(() -> {
                        int i = 0;
                        while (!stop.get()) {
                            String id = Integer.toString(1 + (client * 97 + i++ * 13) % 500);
                            try {
                                HttpResponse<String> r = send(http, base, id);
                                JsonObject body = r.statusCode() == 200 ? new JsonObject(r.body()) : null;
                                if (body == null || body.getValue("prediction") == null) {
                                    failed.incrementAndGet();
                                    if (firstFailure.length() == 0) {
                                        firstFailure.append(r.statusCode()).append(' ').append(r.body());
                                    }
                                } else if (body.getBoolean("degraded")) {
                                    degraded.incrementAndGet();
                                    if (firstFailure.length() == 0) {
                                        firstFailure.append(r.body());
                                    }
                                } else {
                                    ok.incrementAndGet();
                                }
                                Thread.sleep(10);
                            } catch (Exception e) {
                                failed.incrementAndGet();
                                if (firstFailure.length() == 0) {
                                    firstFailure.append(e);
                                }
                            }
                        }
                        return null;
                    });
                }
                Thread.sleep(1000);
                int beforeKill = ok.get();
                int failedBeforeKill = failed.get();
                standby.kill();
                Thread.sleep(3000);
                stop.set(true);
                clients.shutdown();
                assertThat(clients.awaitTermination(20, TimeUnit.SECONDS)).isTrue();
                assertThat(beforeKill).as("answers before the kill").isGreaterThan(50);
                assertThat(failed.get()).as("5xx, errors or empty predictions (" + failedBeforeKill + " before the kill);"
                        + " first: " + firstFailure).isZero();
                assertThat(degraded.get()).as("degraded answers (the primary was up all along); first: "
                        + firstFailure).isZero();
                assertThat(ok.get() - beforeKill).as("answers after the kill").isGreaterThan(50);
                assertThat(metric(http, base, "converge_pg_replica_fallbacks_total")).isGreaterThan(0);

                // The standby back: once its breaker lets a probe through, reads return to it.
                standby.start();
                double fallbacks = metric(http, base, "converge_pg_replica_fallbacks_total");
                double reads = metric(http, base, "converge_pg_replica_reads_total");
                deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (System.nanoTime() < deadline && metric(http, base, "converge_pg_replica_reads_total") <= reads) {
                    assertThat(predict(http, base, "7").getBoolean("degraded")).isFalse();
                    Thread.sleep(100);
                }
                assertThat(metric(http, base, "converge_pg_replica_reads_total")).as("reads back on the standby")
                        .isGreaterThan(reads);
                System.out.printf("standby reads: %d answered before the kill, %d after, %.0f fallbacks to the"
                        + " primary%n", beforeKill, ok.get() - beforeKill, fallbacks);
            } finally {
                server.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
                fixture.close();
            }
        }
    }

    private static long count(ServeFixture fixture) throws Exception {
        try (Connection c = fixture.db.connection(); ResultSet rs = c.createStatement()
                .executeQuery("SELECT count(*) FROM feature_online")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static void awaitReplayed(Connection standby, long rows, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            try (ResultSet rs = standby.createStatement().executeQuery("SELECT count(*) FROM feature_online")) {
                if (rs.next() && rs.getLong(1) == rows) {
                    return;
                }
            } catch (java.sql.SQLException notYet) {
                // the schema is not replayed yet
            }
            Thread.sleep(100);
        }
        throw new AssertionError("the standby did not replay " + rows + " online rows within " + timeout);
    }

    private static String one(Connection c, String sql) throws Exception {
        try (ResultSet rs = c.createStatement().executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    private static HttpResponse<String> send(HttpClient http, String base, String entity) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(base + "/v1/predict")).timeout(Duration.ofSeconds(10))
                .header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"entity_id\": \"" + entity + "\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static JsonObject predict(HttpClient http, String base, String entity) throws Exception {
        HttpResponse<String> r = send(http, base, entity);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return new JsonObject(r.body());
    }

    private static double metric(HttpClient http, String base, String name) throws Exception {
        String text = http.send(HttpRequest.newBuilder(URI.create(base + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        double sum = 0;
        for (String line : text.split("\n")) {
            if (line.startsWith(name + " ") || line.startsWith(name + "{")) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return sum;
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
