package dev.converge.serve;

import static org.assertj.core.api.Assertions.assertThat;

import dev.converge.registry.Deployment;
import dev.converge.serve.config.Resilience;
import dev.converge.serve.config.ServeConfig;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dashboard's endpoints and admin actions on a live server (real PostgreSQL), the Grafana dashboard's queries
 * against the metrics the server exports, and the exported metrics against Prometheus' conventions (promtool).
 */
class DashboardIT {
    static final String TOKEN = "dashboard-admin-token-0123456789";
    static final Path ROOT = Path.of(System.getProperty("converge.root", ".."));
    @TempDir
    static Path work;
    static ServeFixture fixture;
    static PredictionServer server;
    static Vertx vertx;
    static WebClient http;

    @BeforeAll
    static void start() throws Exception {
        fixture = new ServeFixture(work);
        server = PredictionServer.start(ServeConfig.builder().port(0).adminToken(TOKEN).eventLoops(1).scoringWorkers(2)
                .inlineScoringMaxMicros(50).pgPoolSize(4)
                .resilience(Resilience.builder().redisUrl(dev.converge.testkit.TestServices.redisUrl())
                        .breakerOpenSeconds(60).build())
                .build(),
                        fixture.db.endpoint(), null)
                .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        ServeFixture.awaitModel(server);
        vertx = Vertx.vertx();
        http = WebClient.create(vertx);
    }

    @AfterAll
    static void stop() throws Exception {
        server.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        vertx.close();
        fixture.close();
    }

    static HttpResponse<Buffer> get(PredictionServer s, String path) throws Exception {
        return http.get(s.port(), "127.0.0.1", path).send().toCompletionStage().toCompletableFuture()
                .get(10, TimeUnit.SECONDS);
    }

    static HttpResponse<Buffer> post(PredictionServer s, String path, String token, JsonObject body) throws Exception {
        var req = http.post(s.port(), "127.0.0.1", path).putHeader("content-type", "application/json");
        if (token != null) {
            req.putHeader("Authorization", "Bearer " + token);
        }
        return req.sendBuffer(body.toBuffer()).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    static void traffic(int n) throws Exception {
        JsonObject row = new JsonObject(new HashMap<>(server.activeModel().referenceRows().get(0)));
        for (int i = 0; i < n; i++) {
            post(server, "/v1/predict", null, new JsonObject().put("entity_id", Integer.toString(1 + i))
                    .put("features", row));
        }
    }

    @Test
    void thePageAndItsDataAreServedAndLiveSeriesFollowTraffic() throws Exception {
        HttpResponse<Buffer> page = get(server, "/ui/");
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.bodyAsString()).contains("vendor/uPlot.iife.min.js").contains("app.js");
        assertThat(get(server, "/ui").statusCode()).as("redirected to /ui/").isIn(200, 302);
        assertThat(get(server, "/ui/vendor/uPlot.iife.min.js").bodyAsString()).contains("uPlot");
        assertThat(get(server, "/ui/app.js").statusCode()).isEqualTo(200);
        for (String path : new String[] {"/ui/", "/ui/app.js", "/ui/vendor/uPlot.iife.min.js"}) {
            HttpResponse<Buffer> head = http.head(server.port(), "127.0.0.1", path).send().toCompletionStage()
                    .toCompletableFuture().get(10, TimeUnit.SECONDS);
            assertThat(head.statusCode()).as("HEAD " + path + " (monitors and link checkers send it)").isEqualTo(200);
        }

        traffic(200);
        Thread.sleep(2500);
        JsonObject live = get(server, "/ui/api/live").bodyAsJsonObject();
        assertThat(live.getJsonArray("t")).isNotEmpty();
        double answered = live.getJsonArray("ok_per_s").stream().mapToDouble(v -> v == null ? 0
                : ((Number) v).doubleValue()).sum();
        assertThat(answered).as(live.encode()).isGreaterThanOrEqualTo(200);
        assertThat(live.getJsonArray("p99_ms").stream().anyMatch(v -> v != null)).isTrue();
        assertThat(live.getJsonObject("breakers").getString("postgresql")).isEqualTo("closed");
        assertThat(live.getJsonObject("breakers").getString("redis")).isEqualTo("closed");
        assertThat(live.getJsonObject("served").getJsonObject("champion").getInteger("version")).isEqualTo(1);

        JsonObject model = get(server, "/ui/api/model").bodyAsJsonObject();
        assertThat(model.getJsonArray("versions").stream().map(v -> ((JsonObject) v).getInteger("version")))
                .containsExactly(2, 1);
        assertThat(model.getJsonArray("events").encode()).contains("\"promoted\"").contains("\"registered\"");
        // Two runs of v1's sweep and a drift run, written as training and the drift job write them: the panels
        // show them (the fixture registers each version with a sweep id, and runs nothing).
        java.util.UUID run = java.util.UUID.randomUUID();
        String sweep;
        try (java.sql.Connection c = fixture.db.connection(); java.sql.Statement st = c.createStatement()) {
            try (java.sql.ResultSet rs = st.executeQuery("SELECT sweep_id FROM model_reference WHERE name ="
                    + " 'credit_risk' AND version = 1")) {
                assertThat(rs.next()).isTrue();
                sweep = rs.getString(1);
            }
            st.execute("INSERT INTO training_runs (sweep_id, task_index, algorithm, config, status, metrics,"
                    + " runtime_ms, error) VALUES ('" + sweep + "', 0, 'glm', '{}', 'succeeded', '{\"auc\": 0.71}',"
                    + " 1200, null), ('" + sweep + "', 1, 'gbm', '{}', 'failed', '{}', 300, 'out of memory')");
            st.execute("INSERT INTO drift_reports (run_id, model, version, window_start, window_end, sample_rows,"
                    + " feature, psi, ks, level, bins) VALUES ('" + run + "', 'credit_risk', 1, now() - interval"
                    + " '1 hour', now(), 500, 'grade', 0.02, 0.01, 'ok', '{}'), ('" + run + "', 'credit_risk', 1,"
                    + " now() - interval '1 hour', now(), 500, 'int_rate', 0.31, 0.2, 'alert', '{}')");
        }
        JsonObject training = get(server, "/ui/api/training").bodyAsJsonObject();
        JsonObject sw = training.getJsonArray("sweeps").stream().map(JsonObject.class::cast)
                .filter(x -> x.getInteger("version") == 1).findFirst()
                .orElseThrow(() -> new AssertionError("no sweep for v1: " + training.encode()));
        assertThat(sw.getString("sweep_id")).isEqualTo(sweep);
        assertThat(sw.getJsonArray("runs").stream().map(r -> ((JsonObject) r).getString("algorithm") + " "
                + ((JsonObject) r).getString("status") + " " + ((JsonObject) r).getValue("score")))
                .as(training.encode()).containsExactly("glm succeeded 0.71", "gbm failed null");
        JsonObject drift = get(server, "/ui/api/drift").bodyAsJsonObject();
        assertThat(drift.getString("run_id")).as(drift.encode()).isEqualTo(run.toString());
        assertThat(drift.getInteger("sample_rows")).isEqualTo(500);
        assertThat(drift.getJsonArray("features").stream().map(f -> ((JsonObject) f).getString("feature") + " "
                + ((JsonObject) f).getString("level"))).as("worst first").containsExactly("int_rate alert", "grade ok");
    }

    @Test
    void stateChangesNeedTheAdminTokenAndAreFollowed() throws Exception {
        HttpResponse<Buffer> anonymous = post(server, "/admin/registry/promote", null, new JsonObject()
                .put("version", 2));
        assertThat(anonymous.statusCode()).isEqualTo(401);
        HttpResponse<Buffer> notAChallenger = post(server, "/admin/experiment/share", TOKEN, new JsonObject()
                .put("version", 2).put("share", 0.5));
        assertThat(notAChallenger.statusCode()).isEqualTo(400);
        assertThat(notAChallenger.bodyAsString()).contains("not a challenger");

        fixture.registry.deploy("credit_risk", List.of(new Deployment.Challenger(2, Deployment.Mode.SPLIT, 0.1,
                null)), false, "test", "dashboard test", null);
        HttpResponse<Buffer> share = post(server, "/admin/experiment/share", TOKEN, new JsonObject().put("version", 2)
                .put("share", 0.3));
        assertThat(share.statusCode()).as(share.bodyAsString()).isEqualTo(200);
        assertThat(fixture.registry.deployment("credit_risk").challengers().get(0).share()).isEqualTo(0.3);
        assertThat(fixture.registry.deployment("credit_risk").actor()).isEqualTo("admin api");
        fixture.registry.deploy("credit_risk", List.of(), false, "test", "dashboard test done", null);

        HttpResponse<Buffer> promote = post(server, "/admin/registry/promote", TOKEN, new JsonObject()
                .put("version", 2).put("reason", "from the test"));
        assertThat(promote.statusCode()).as(promote.bodyAsString()).isEqualTo(200);
        long deadline = System.currentTimeMillis() + 20_000;
        while (server.activeModel().version() != 2 && System.currentTimeMillis() < deadline) {
            Thread.sleep(50);
        }
        assertThat(server.activeModel().version()).as("the server follows the promotion").isEqualTo(2);
        Thread.sleep(2100); // the registry's figures are kept for two seconds
        assertThat(get(server, "/ui/api/model").bodyAsString()).contains("from the test");
        fixture.registry.promote("credit_risk", 1, "test", "back");
        while (server.activeModel().version() != 1 && System.currentTimeMillis() < deadline + 20_000) {
            Thread.sleep(50);
        }
    }

    @Test
    void withoutAnAdminTokenThePageIsReadOnly() throws Exception {
        PredictionServer open = PredictionServer.start(ServeConfig.builder().port(0).eventLoops(1).scoringWorkers(2)
                .inlineScoringMaxMicros(50).pgPoolSize(4)
                .resilience(Resilience.builder().redisUrl("none").breakerOpenSeconds(60).build())
                .build(), fixture.db.endpoint(), null)
                .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        try {
            ServeFixture.awaitModel(open);
            assertThat(get(open, "/ui/").statusCode()).isEqualTo(200);
            assertThat(get(open, "/ui/api/model").statusCode()).isEqualTo(200);
            HttpResponse<Buffer> refused = post(open, "/admin/registry/promote", "anything", new JsonObject()
                    .put("version", 2));
            assertThat(refused.statusCode()).isEqualTo(403);
            assertThat(refused.bodyAsString()).contains("admin_disabled");
        } finally {
            open.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
    }

    /** Every family a metric of the Grafana dashboard names, with an experiment and a drift run so all exist. */
    static String scrapeWithEverything() throws Exception {
        fixture.registry.deploy("credit_risk", List.of(new Deployment.Challenger(2, Deployment.Mode.SPLIT, 0.5,
                new Deployment.Canary(List.of(0.5), 3600, 1, 100, 1000, 1_000_000))), false, "test", "metrics", null);
        long deadline = System.currentTimeMillis() + 20_000;
        while (!server.metrics().scrape().contains("variant=\"challenger\"") && System.currentTimeMillis() < deadline) {
            traffic(20);
        }
        HttpResponse<Buffer> drift = post(server, "/admin/drift/run?window_minutes=60", TOKEN, new JsonObject());
        assertThat(drift.statusCode()).as(drift.bodyAsString()).isIn(200, 503);
        fixture.registry.deploy("credit_risk", List.of(), false, "test", "metrics done", null);
        return get(server, "/metrics").bodyAsString();
    }

    @Test
    void everyMetricTheGrafanaDashboardQueriesIsExported() throws Exception {
        String scrape = scrapeWithEverything();
        Set<String> exported = new LinkedHashSet<>();
        for (String line : scrape.split("\n")) {
            if (!line.startsWith("#") && !line.isBlank()) {
                exported.add(line.split("[{ ]", 2)[0]);
            }
        }
        JsonObject dashboard = new JsonObject(Files.readString(ROOT.resolve("deploy/grafana/converge-dashboard.json")));
        Set<String> named = new LinkedHashSet<>();
        Pattern metric = Pattern.compile("\\b((?:converge|http_server|jvm)_[a-z0-9_]+)\\b");
        for (Object p : dashboard.getJsonArray("panels")) {
            for (Object t : ((JsonObject) p).getJsonArray("targets")) {
                Matcher m = metric.matcher(((JsonObject) t).getString("expr"));
                while (m.find()) {
                    named.add(m.group(1));
                }
            }
        }
        assertThat(named).hasSizeGreaterThan(15);
        assertThat(exported).as("exported families").containsAll(named);
    }

    @Test
    void convergesOwnMetricsFollowPrometheusConventions() throws Exception {
        String scrape = scrapeWithEverything();
        Process p;
        try {
            p = new ProcessBuilder("promtool", "check", "metrics").redirectErrorStream(true).start();
        } catch (java.io.IOException e) {
            Assumptions.abort("promtool is not installed (apt-get install prometheus): the metrics were not checked");
            return;
        }
        try (var in = p.getOutputStream()) {
            in.write(scrape.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        List<String> ours = out.lines().filter(l -> l.startsWith("converge_") || l.startsWith("http_server_"))
                .toList();
        assertThat(ours).as(out).isEmpty();
        assertThat(scrape).contains("# HELP converge_shed_total").contains("# HELP http_server_requests_seconds");
    }
}
