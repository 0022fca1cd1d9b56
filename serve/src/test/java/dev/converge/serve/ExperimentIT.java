package dev.converge.serve;

import dev.converge.serve.config.PredictionLogSettings;
import static org.assertj.core.api.Assertions.assertThat;

import dev.converge.registry.Deployment;
import dev.converge.serve.config.Resilience;
import dev.converge.serve.config.ServeConfig;
import dev.converge.serve.scoring.ScoringFaults;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Experiments between the fixture's two versions of credit_risk (v1 GLM champion, v2 XGBoost) on a live server and
 * real PostgreSQL: a split by entity hash, pinning, shadow traffic into the prediction log, a canary that climbs and
 * one that is rolled back, and a second replica that routes like the first.
 */
class ExperimentIT {
    static final String TOKEN = "experiment-admin-token-0123456789";
    @TempDir
    static Path work;
    static ServeFixture fixture;
    static PredictionServer server;
    static Vertx clientVertx;
    static WebClient http;
    /** Per version: milliseconds each scoring sleeps, or -1 to fail it. */
    static final Map<Integer, Integer> faults = new ConcurrentHashMap<>();
    static JsonObject row;
    static WebhookListener hook;

    static ServeConfig config() {
        return ServeConfig.builder().port(0).adminToken(TOKEN).eventLoops(1).scoringWorkers(2)
                .inlineScoringMaxMicros(50).pgPoolSize(4)
                .resilience(Resilience.builder().redisUrl("none").breakerOpenSeconds(60).build())
                .alertsWebhookUrl(hook.url())
                .predictionLog(new PredictionLogSettings(true, 1.0, 100_000, 100_000, 100, 30, 1_000_000)).build();
    }

    static final ScoringFaults FAULTS = (model, version) -> {
        Integer f = faults.get(version);
        if (f == null) {
            return;
        }
        if (f < 0) {
            throw new IllegalStateException("v" + version + " made to fail on purpose");
        }
        try {
            Thread.sleep(f);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    };

    @BeforeAll
    static void start() throws Exception {
        hook = new WebhookListener();
        fixture = new ServeFixture(work);
        server = PredictionServer.start(config(), fixture.db.endpoint(), null, FAULTS).toCompletionStage()
                .toCompletableFuture().get(30, TimeUnit.SECONDS);
        ServeFixture.awaitModel(server);
        clientVertx = Vertx.vertx();
        http = WebClient.create(clientVertx, new WebClientOptions().setDefaultHost("127.0.0.1"));
        row = new JsonObject(new HashMap<>(server.activeModel().referenceRows().get(0)));
    }

    @AfterAll
    static void stop() throws Exception {
        server.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        clientVertx.close();
        fixture.close();
        hook.close();
    }

    @AfterEach
    void endExperiment() throws Exception {
        faults.clear();
        deploy(List.of(), false);
    }

    /** Writes a deployment and waits until the server routes by it. */
    static Deployment deploy(List<Deployment.Challenger> challengers, boolean pinning) throws Exception {
        Deployment d = fixture.registry.deploy("credit_risk", challengers, pinning, "test", "experiment test", null)
                .orElseThrow();
        awaitDeployment(server, d.id());
        return d;
    }

    static void awaitDeployment(PredictionServer s, long id) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 20_000;
        while (s.deploymentId() < id && System.currentTimeMillis() < deadline) {
            Thread.sleep(20);
        }
        assertThat(s.deploymentId()).as("the server follows the deployment").isGreaterThanOrEqualTo(id);
    }

    static Deployment.Challenger split(double share) {
        return new Deployment.Challenger(2, Deployment.Mode.SPLIT, share, null);
    }

    static JsonObject request(String entity) {
        return new JsonObject().put("entity_id", entity).put("features", row);
    }

    /** Sends every body (32 at a time) to {@code port}; the answers in order. */
    static List<HttpResponse<Buffer>> send(int port, List<JsonObject> bodies) throws Exception {
        List<HttpResponse<Buffer>> out = new ArrayList<>();
        for (int from = 0; from < bodies.size(); from += 32) {
            List<Future<HttpResponse<Buffer>>> wave = new ArrayList<>();
            for (JsonObject b : bodies.subList(from, Math.min(bodies.size(), from + 32))) {
                wave.add(http.post(port, "127.0.0.1", "/v1/predict").putHeader("content-type", "application/json")
                        .sendBuffer(b.toBuffer()));
            }
            for (Future<HttpResponse<Buffer>> f : wave) {
                out.add(f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS));
            }
        }
        return out;
    }

    /** The variant and version each entity's answer names. */
    static Map<String, String> variants(int port, List<String> entities) throws Exception {
        List<HttpResponse<Buffer>> answers = send(port, entities.stream().map(ExperimentIT::request).toList());
        Map<String, String> out = new HashMap<>();
        for (int i = 0; i < entities.size(); i++) {
            HttpResponse<Buffer> r = answers.get(i);
            assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
            JsonObject m = r.bodyAsJsonObject().getJsonObject("model");
            out.put(entities.get(i), m.getString("variant") + "/v" + m.getInteger("version"));
        }
        return out;
    }

    static List<String> entities(int n) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add("customer-" + i);
        }
        return out;
    }

    @Test
    void aTwentyPercentSplitLandsWithinTwoPointsEachEntitySticksAndThirtyMovesOnlyIntoTheChallenger()
            throws Exception {
        deploy(List.of(split(0.2)), false);
        List<String> ids = entities(10_000);
        Map<String, String> first = variants(server.port(), ids);
        long challenger = first.values().stream().filter(v -> v.equals("challenger/v2")).count();
        assertThat(first.values()).containsOnly("challenger/v2", "champion/v1");
        assertThat(challenger / 10_000.0).as("share of 10,000 requests").isBetween(0.18, 0.22);

        List<String> again = ids.subList(0, 1000);
        Map<String, String> second = variants(server.port(), again);
        again.forEach(id -> assertThat(second.get(id)).as(id).isEqualTo(first.get(id)));

        deploy(List.of(split(0.3)), false);
        Map<String, String> third = variants(server.port(), ids.subList(0, 3000));
        int moved = 0;
        for (String id : ids.subList(0, 3000)) {
            if (!third.get(id).equals(first.get(id))) {
                moved++;
                assertThat(third.get(id)).as(id + " moved, and only into the challenger").isEqualTo("challenger/v2");
            }
        }
        assertThat(moved / 3000.0).as("about a tenth moved").isBetween(0.07, 0.13);
    }

    @Test
    void aRequestPinsADeployedVersionOnlyWhenTheDeploymentAllowsIt() throws Exception {
        deploy(List.of(split(0)), false);
        HttpResponse<Buffer> refused = send(server.port(), List.of(request("a").put("model_version", 2))).get(0);
        assertThat(refused.statusCode()).isEqualTo(400);
        assertThat(refused.bodyAsString()).contains("model_version").contains("pinning_not_allowed");

        deploy(List.of(split(0)), true);
        HttpResponse<Buffer> pinned = send(server.port(), List.of(request("a").put("model_version", 2))).get(0);
        assertThat(pinned.statusCode()).as(pinned.bodyAsString()).isEqualTo(200);
        assertThat(pinned.bodyAsJsonObject().getJsonObject("model").getString("variant")).isEqualTo("pinned");
        assertThat(pinned.bodyAsJsonObject().getJsonObject("model").getInteger("version")).isEqualTo(2);

        HttpResponse<Buffer> absent = send(server.port(), List.of(request("a").put("model_version", 7))).get(0);
        assertThat(absent.statusCode()).isEqualTo(400);
        assertThat(absent.bodyAsString()).contains("not_deployed").contains("[1, 2]");
        HttpResponse<Buffer> bad = send(server.port(), List.of(request("a").put("model_version", "two"))).get(0);
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(bad.bodyAsString()).contains("bad_model_version");
    }

    @Test
    void aShadowScoresOffThePathIntoTheLogAndAFullQueueCostsTheChampionNothing() throws Exception {
        List<String> ids = entities(300).stream().map(id -> "shadow-" + id).toList();
        List<HttpResponse<Buffer>> before = send(server.port(), ids.stream().map(ExperimentIT::request).toList());

        deploy(List.of(new Deployment.Challenger(2, Deployment.Mode.SHADOW, 1.0, null)), false);
        List<HttpResponse<Buffer>> during = send(server.port(), ids.stream().map(ExperimentIT::request).toList());
        List<String> predictionIds = new ArrayList<>();
        for (int i = 0; i < ids.size(); i++) {
            JsonObject a = during.get(i).bodyAsJsonObject();
            assertThat(a.getJsonObject("model").getString("variant")).isEqualTo("champion");
            assertThat(a.getJsonObject("model").getInteger("version")).isEqualTo(1);
            assertThat(a.getValue("prediction")).isEqualTo(before.get(i).bodyAsJsonObject().getValue("prediction"));
            predictionIds.add(a.getString("prediction_id"));
        }
        // The shadow's outputs are in the log, under the champion's prediction ids.
        long deadline = System.currentTimeMillis() + 15_000;
        long logged = 0;
        String inList = "'" + String.join("','", predictionIds) + "'";
        while (logged < ids.size() && System.currentTimeMillis() < deadline) {
            Thread.sleep(100);
            logged = count("SELECT count(*) FROM prediction_log WHERE variant = 'shadow' AND version = 2 AND id IN ("
                    + inList + ")");
        }
        assertThat(logged).isEqualTo(ids.size());

        // One label per prediction scores both variants; the report compares them.
        for (int i = 0; i < predictionIds.size(); i++) {
            HttpResponse<Buffer> fb = http.post(server.port(), "127.0.0.1", "/v1/feedback")
                    .putHeader("content-type", "application/json").sendBuffer(new JsonObject()
                            .put("prediction_id", predictionIds.get(i)).put("label", i % 3 == 0 ? "bad" : "good")
                            .put("observed_at", "2026-01-01T00:00:00Z").toBuffer())
                    .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            assertThat(fb.statusCode()).as(fb.bodyAsString()).isIn(200, 201, 202);
        }
        dev.converge.serve.experiment.ExperimentReport.Report report = dev.converge.serve.experiment.ExperimentReport.of(
                fixture.db.dataSource(), "credit_risk", 1, 100_000);
        assertThat(report.variants()).extracting(v -> v.variant() + "/v" + v.version())
                .contains("champion/v1", "shadow/v2");
        assertThat(report.variants().stream().filter(v -> v.variant().equals("shadow")).findFirst().orElseThrow()
                .losses()).hasSize(ids.size());
        assertThat(report.comparisons()).singleElement().satisfies(c -> {
            assertThat(c.variant()).isEqualTo("shadow");
            assertThat(c.p()).isBetween(0.0, 1.0);
        });
        assertThat(dev.converge.serve.experiment.ExperimentReport.render(report)).contains("Welch's t-test")
                .contains("log loss");

        // A shadow that takes 20 ms a row: its queue (1000) fills; the champion's answers do not change, nor does
        // their latency as the server measures it (p99 against a baseline of the same requests with the shadow fast).
        List<String> many = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            many.addAll(ids);
        }
        double baselineP99 = p99LatencyMs(send(server.port(), many.stream().map(ExperimentIT::request).toList()));
        faults.put(2, 20);
        long t0 = System.nanoTime();
        List<HttpResponse<Buffer>> full = send(server.port(), many.stream().map(ExperimentIT::request).toList());
        double seconds = (System.nanoTime() - t0) / 1e9;
        for (int i = 0; i < many.size(); i++) {
            assertThat(full.get(i).statusCode()).isEqualTo(200);
            assertThat(full.get(i).bodyAsJsonObject().getValue("prediction"))
                    .isEqualTo(before.get(i % ids.size()).bodyAsJsonObject().getValue("prediction"));
        }
        assertThat(metric("converge_shadow_requests_total{model=\"credit_risk\",result=\"dropped\"}")).as("drops counted (2,400 requests"
                + " in %.1f s against a shadow that scores 50 a second)", seconds).isGreaterThan(0);
        double fullP99 = p99LatencyMs(full);
        assertThat(fullP99).as("the champion's p99 with the shadow's queue full, against %.2f ms before",
                baselineP99).isLessThanOrEqualTo(Math.max(3 * baselineP99, baselineP99 + 5));
    }

    /** The 99th percentile of the answers' own latency_ms (measured by the server, not by this client). */
    static double p99LatencyMs(List<HttpResponse<Buffer>> answers) {
        double[] ms = answers.stream().mapToDouble(r -> r.bodyAsJsonObject().getDouble("latency_ms")).sorted()
                .toArray();
        return ms[(int) Math.ceil(0.99 * ms.length) - 1];
    }

    @Test
    void aHealthyCanaryClimbsItsStepsAndAFailingOneIsRolledBackToZeroWithTheReasonInTheHistory() throws Exception {
        Deployment.Canary canary = new Deployment.Canary(List.of(0.2, 0.5), 1, 0.05, 10, 50, 20);
        Deployment start = deploy(List.of(new Deployment.Challenger(2, Deployment.Mode.SPLIT, 0.2, canary)), false);
        List<String> ids = entities(400);
        long deadline = System.currentTimeMillis() + 30_000;
        while (fixture.registry.deployment("credit_risk").challengers().get(0).share() < 0.5
                && System.currentTimeMillis() < deadline) {
            send(server.port(), ids.stream().map(ExperimentIT::request).toList());
        }
        Deployment raised = fixture.registry.deployment("credit_risk");
        assertThat(raised.challengers().get(0).share()).isEqualTo(0.5);
        assertThat(raised.actor()).isEqualTo("canary");
        assertThat(raised.reason()).contains("raised to 50%").contains("error rate 0.00%");
        awaitDeployment(server, raised.id());

        faults.put(2, -1); // the challenger now fails every scoring
        deadline = System.currentTimeMillis() + 30_000;
        while (fixture.registry.deployment("credit_risk").challengers().get(0).share() > 0
                && System.currentTimeMillis() < deadline) {
            send(server.port(), ids.stream().map(ExperimentIT::request).toList());
        }
        Deployment back = fixture.registry.deployment("credit_risk");
        assertThat(back.challengers().get(0).share()).isZero();
        assertThat(back.actor()).isEqualTo("canary");
        assertThat(back.reason()).contains("rolled back to 0%").contains("error rate 100.00%");
        List<Deployment> history = fixture.registry.deploymentHistory("credit_risk");
        assertThat(history.stream().filter(d -> d.id() > start.id()).map(Deployment::reason))
                .anyMatch(r -> r.contains("raised to 50%")).anyMatch(r -> r.contains("rolled back to 0%"));

        long alertBy = System.currentTimeMillis() + 5000;
        while (hook.received().stream().noneMatch(a -> a.getString("alert").equals("canary/credit_risk/v2"))
                && System.currentTimeMillis() < alertBy) {
            Thread.sleep(50);
        }
        assertThat(hook.received()).filteredOn(a -> a.getString("alert").equals("canary/credit_risk/v2"))
                .singleElement().satisfies(a -> assertThat(a.getString("summary")).contains("rolled back"));

        awaitDeployment(server, back.id());
        faults.clear();
        Map<String, String> after = variants(server.port(), ids);
        assertThat(after.values()).as("nothing goes to a rolled-back canary").containsOnly("champion/v1");
    }

    @Test
    void aReplicaStartedDuringAnExperimentRoutesLikeTheOthers() throws Exception {
        Deployment d = deploy(List.of(split(0.4)), false);
        PredictionServer second = PredictionServer.start(config(), fixture.db.endpoint(), null).toCompletionStage()
                .toCompletableFuture().get(30, TimeUnit.SECONDS);
        try {
            ServeFixture.awaitModel(second);
            assertThat(second.deploymentId()).as("ready only once it routes by the deployment").isEqualTo(d.id());
            List<String> ids = entities(500);
            assertThat(variants(second.port(), ids)).isEqualTo(variants(server.port(), ids));
        } finally {
            second.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
    }

    static long count(String sql) throws Exception {
        try (Connection c = fixture.db.connection(); ResultSet rs = c.createStatement().executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    static double metric(String series) {
        for (String line : server.metrics().scrape().split("\n")) {
            if (line.startsWith(series.substring(0, series.indexOf('{'))) && line.contains(series.substring(
                    series.indexOf('{') + 1, series.length() - 1)) && !line.startsWith("#")) {
                return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return 0;
    }
}
