package dev.converge.cli;

import dev.converge.serve.config.DriftSettings;
import static org.assertj.core.api.Assertions.assertThat;

import dev.converge.registry.PgEndpoint;
import dev.converge.serve.PredictionServer;
import dev.converge.serve.config.Resilience;
import dev.converge.serve.config.ServeConfig;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The whole loop, for real (issue 12): the quickstart trains and promotes credit_risk v1; a server with retraining
 * on serves traffic whose int_rate is moved up by a standard deviation; the drift run alerts on it and starts the
 * model's own pipeline in a child process (`converge train --actor ...`), which trains, passes the export gate and
 * parity check, registers v2 under an actor naming the drift run, and applies the pipeline's promotion policy.
 */
class DriftRetrainIT {
    static final TestSchema SCHEMA = new TestSchema("rt_");
    static final String URL = SCHEMA.url;
    static final Path ROOT = Path.of(System.getProperty("converge.root", ".."));
    static final String TOKEN = "retrain-admin-token-0123456789";

    @BeforeAll
    static void schema() throws Exception {
        SCHEMA.create();
    }

    @AfterAll
    static void drop() throws Exception {
        SCHEMA.drop();
    }

    @Test
    void aDriftAlertRetrainsThroughTheSameGateAndTheNewVersionNamesTheDriftRun() throws Exception {
        CliTest.Run qs = CliTest.run("quickstart", "--database-url", URL, "--data",
                ROOT.resolve("examples/data/lending_club.csv").toString(), "--pipeline",
                ROOT.resolve("pipelines/lending_club.yaml").toString(), "--port", "0", "--exit");
        assertThat(qs.exit()).as(qs.err()).isZero();

        ServeConfig config = ServeConfig.builder().port(0).adminToken(TOKEN).eventLoops(1).scoringWorkers(2)
                .inlineScoringMaxMicros(50).pgPoolSize(4)
                .resilience(Resilience.builder().redisUrl("none").breakerOpenSeconds(60).build())
                .drift(new DriftSettings(0, 60, 10_000, 0.1, 0.25,
                        ROOT.resolve("pipelines/lending_club.yaml").toAbsolutePath().toString(), List.of(), 10))
                .build();
        PredictionServer server = PredictionServer.start(config, new PgEndpoint(URL, null, null, null), null)
                .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        HttpClient http = HttpClient.newHttpClient();
        try {
            assertThat(server.awaitReady(java.time.Duration.ofSeconds(60)).toCompletionStage().toCompletableFuture()
                    .get(70, TimeUnit.SECONDS).ready()).isTrue();
            try (Connection c = DriverManager.getConnection(URL)) {
                double sd;
                try (ResultSet rs = c.createStatement().executeQuery(
                        "SELECT stddev_samp((hot->>'int_rate')::float8) FROM feature_online")) {
                    rs.next();
                    sd = rs.getDouble(1);
                }
                for (int b = 0; b < 3; b++) {
                    JsonArray rows = new JsonArray();
                    try (ResultSet rs = c.createStatement().executeQuery("SELECT entity_id,"
                            + " (hot->>'int_rate')::float8 FROM feature_online ORDER BY entity_id OFFSET " + b * 500
                            + " LIMIT 500")) {
                        while (rs.next()) {
                            rows.add(new JsonObject().put("entity_id", rs.getString(1)).put("features",
                                    new JsonObject().put("int_rate", rs.getDouble(2) + sd)));
                        }
                    }
                    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                            + server.port() + "/v1/predict/batch")).header("content-type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofString(new JsonObject().put("rows", rows).encode()))
                            .build(), HttpResponse.BodyHandlers.ofString());
                    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
                    Thread.sleep(1100); // the log keeps at most 1,000 rows a second by default
                }
                long deadline = System.currentTimeMillis() + 15_000;
                while (count(c, "SELECT count(*) FROM prediction_log") < 1000 && System.currentTimeMillis() < deadline) {
                    Thread.sleep(100);
                }
                HttpResponse<String> drift = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                        + server.port() + "/admin/drift/run?window_minutes=60")).header("Authorization", "Bearer "
                        + TOKEN).POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(drift.statusCode()).as(drift.body()).isEqualTo(200);
                String runId = new JsonObject(drift.body()).getString("run_id");
                assertThat(drift.body()).contains("\"feature\":\"int_rate\"");

                // The retrain runs in a child process: a JVM for `converge train`, which starts its own training JVM.
                deadline = System.currentTimeMillis() + 300_000;
                while (count(c, "SELECT count(*) FROM retrain_runs WHERE finished_at IS NOT NULL") == 0
                        && System.currentTimeMillis() < deadline) {
                    Thread.sleep(500);
                }
                try (ResultSet rs = c.createStatement().executeQuery("SELECT trigger, outcome, exit_code,"
                        + " output_tail FROM retrain_runs")) {
                    assertThat(rs.next()).as("a retrain was started").isTrue();
                    assertThat(rs.getString(1)).isEqualTo("drift run " + runId);
                    assertThat(rs.getString(2)).as(rs.getString(4)).isEqualTo("succeeded");
                    assertThat(rs.getInt(3)).isZero();
                }
                try (ResultSet rs = c.createStatement().executeQuery("SELECT version, actor FROM model_events"
                        + " WHERE name = 'credit_risk' AND event = 'registered' ORDER BY id")) {
                    assertThat(rs.next()).isTrue();
                    assertThat(rs.next()).as("the retrain registered a second version").isTrue();
                    assertThat(rs.getInt(1)).isEqualTo(2);
                    assertThat(rs.getString(2)).isEqualTo("drift-retrain (drift run " + runId + ")");
                }
                assertThat(count(c, "SELECT count(*) FROM retrain_breakers WHERE model = 'credit_risk' AND NOT open"
                        + " AND consecutive_failures = 0")).isEqualTo(1);
                // The pipeline's promotion policy (auto_promote: margin 0.002, at least 100 holdout rows), computed
                // here from the two versions' registered metrics, is what the registry's history shows.
                double margin = 0.002;
                dev.converge.registry.ModelRegistry registry = new dev.converge.registry.ModelRegistry(
                        new dev.converge.registry.PgEndpoint(URL, null, null, null).dataSource(30));
                java.util.Map<String, Object> m1 = registry.show("credit_risk", 1).orElseThrow().metrics();
                java.util.Map<String, Object> m2 = registry.show("credit_risk", 2).orElseThrow().metrics();
                dev.converge.train.Metric metric = dev.converge.train.Metric.fromWireName(
                        String.valueOf(m2.get("selection_metric")));
                double gain = metric.gain(((Number) m2.get(metric.wireName())).doubleValue(),
                        ((Number) m1.get(metric.wireName())).doubleValue());
                boolean shouldPromote = ((Number) m2.get("holdout_rows")).longValue() >= 100 && gain >= margin;
                try (ResultSet rs = c.createStatement().executeQuery("SELECT actor, reason FROM model_events"
                        + " WHERE name = 'credit_risk' AND version = 2 AND event = 'promoted'")) {
                    boolean promoted = rs.next();
                    assertThat(promoted).as("v2 %s gain %.5f over v1 against a margin of %.3f", metric, gain, margin)
                            .isEqualTo(shouldPromote);
                    if (promoted) {
                        assertThat(rs.getString(2)).startsWith("auto-promoted: " + metric);
                    }
                }
                if (!shouldPromote) {
                    try (ResultSet rs = c.createStatement().executeQuery("SELECT output_tail FROM retrain_runs")) {
                        assertThat(rs.next()).isTrue();
                        assertThat(rs.getString(1)).as("the retrain says why it did not promote")
                                .contains("not promoted:");
                    }
                }
            }
        } finally {
            server.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
    }

    static long count(Connection c, String sql) throws Exception {
        try (ResultSet rs = c.createStatement().executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
