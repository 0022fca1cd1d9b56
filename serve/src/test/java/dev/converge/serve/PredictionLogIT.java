package dev.converge.serve;

import dev.converge.serve.config.DriftSettings;
import dev.converge.serve.config.LatencySettings;
import dev.converge.serve.config.PredictionLogSettings;
import static org.assertj.core.api.Assertions.assertThat;

import dev.converge.serve.config.Resilience;
import dev.converge.serve.config.ServeConfig;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The prediction log, feedback, the drift run and alerts, against a live server on real PostgreSQL. The burst and
 * latency tests run last: their traffic is logged too, and would dilute the drift test's planted shift.
 */
@org.junit.jupiter.api.TestMethodOrder(org.junit.jupiter.api.MethodOrderer.OrderAnnotation.class)
class PredictionLogIT {
    static final String TOKEN = "drift-admin-token-0123456789";
    @TempDir
    static Path work;
    static ServeFixture fixture;
    static PredictionServer server;
    static Vertx clientVertx;
    static WebClient http;
    static WebhookListener hook;
    static List<JsonObject> alerts;

    @BeforeAll
    static void start() throws Exception {
        hook = new WebhookListener();
        alerts = hook.received();
        fixture = new ServeFixture(work);
        ServeConfig config = ServeConfig.builder().port(0).adminToken(TOKEN).eventLoops(1).scoringWorkers(2)
                .inlineScoringMaxMicros(50).pgPoolSize(4)
                .resilience(Resilience.builder().redisUrl("none").breakerOpenSeconds(60).build())
                .drift(new DriftSettings(0, 60, 10_000, 0.1, 0.25)).alertsWebhookUrl(hook.url())
                .latency(new LatencySettings(20, 1, 2))
                .predictionLog(new PredictionLogSettings(true, 1.0, 100_000, 1000, 200, 30, 1_000_000)).build();
        server = PredictionServer.start(config, fixture.db.endpoint(), router -> router.post("/test/block")
                .handler(ctx -> {
                    try {
                        Thread.sleep(250); // blocks the event loop on purpose
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    ctx.response().end();
                })).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        ServeFixture.awaitModel(server);
        clientVertx = Vertx.vertx();
        http = WebClient.create(clientVertx, new WebClientOptions().setDefaultHost("127.0.0.1")
                .setDefaultPort(server.port()));
    }

    @AfterAll
    static void stop() throws Exception {
        server.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        clientVertx.close();
        fixture.close();
        hook.close();
    }

    static HttpResponse<Buffer> post(String path, String body) throws Exception {
        return http.post(path).putHeader("content-type", "application/json").putHeader("Authorization", "Bearer "
                + TOKEN).sendBuffer(Buffer.buffer(body)).toCompletionStage().toCompletableFuture()
                .get(30, TimeUnit.SECONDS);
    }

    static long count(String sql) throws Exception {
        try (Connection c = fixture.db.connection(); ResultSet rs = c.createStatement().executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** Waits for the log's writer to catch up with {@code ids}. */
    static void awaitLogged(Set<String> ids) throws Exception {
        long deadline = System.currentTimeMillis() + 10_000;
        String list = String.join("','", ids);
        while (count("SELECT count(*) FROM prediction_log WHERE id IN ('" + list + "')") < ids.size()
                && System.currentTimeMillis() < deadline) {
            Thread.sleep(50);
        }
    }

    @Test
    void everyAnswerNamesAPredictionTheLogHoldsAsScored() throws Exception {
        Map<String, JsonObject> answers = new HashMap<>(); // by prediction id: the answer, and the entity asked for
        for (int i = 1; i <= 20; i++) {
            JsonObject a = post("/v1/predict", "{\"entity_id\": \"" + i + "\"}").bodyAsJsonObject();
            answers.put(a.getString("prediction_id"), a.copy().put("asked", Integer.toString(i)));
        }
        JsonObject batch = post("/v1/predict/batch", "{\"rows\": [{\"entity_id\": \"21\"}, {\"entity_id\": \"22\"}]}")
                .bodyAsJsonObject();
        for (int k = 0; k < 2; k++) {
            JsonObject r = batch.getJsonArray("results").getJsonObject(k);
            answers.put(r.getString("prediction_id"), r.copy().put("asked", Integer.toString(21 + k)));
        }
        Set<String> ids = answers.keySet();

        awaitLogged(ids);

        assertThat(ids).hasSize(22);
        String list = String.join("','", ids);
        int rows = 0;
        int featuresCompared = 0;
        try (Connection c = fixture.db.connection(); ResultSet rs = c.createStatement().executeQuery("SELECT l.id,"
                + " l.entity_id, l.output->>'prediction', l.features::text, o.hot::text, l.model, l.version, l.variant,"
                + " l.latency_ms > 0 FROM prediction_log l JOIN feature_online o ON o.entity_id = l.entity_id"
                + " WHERE l.id IN ('" + list + "')")) {
            while (rs.next()) {
                rows++;
                JsonObject answer = answers.get(rs.getString(1));
                assertThat(rs.getString(2)).as("the entity asked for").isEqualTo(answer.getString("asked"));
                assertThat(rs.getString(3)).as("the prediction answered").isEqualTo(
                        String.valueOf(answer.getValue("prediction")));
                // The features as scored: each one the store holds for the entity, with the stored value.
                JsonObject logged = new JsonObject(rs.getString(4));
                JsonObject stored = new JsonObject(rs.getString(5));
                for (String f : logged.fieldNames()) {
                    if (stored.containsKey(f) && stored.getValue(f) != null) {
                        Object want = stored.getValue(f);
                        Object got = logged.getValue(f);
                        if (want instanceof Number n) {
                            assertThat(((Number) got).doubleValue()).as(f).isEqualTo(n.doubleValue());
                        } else {
                            assertThat(got).as(f).isEqualTo(want);
                        }
                        featuresCompared++;
                    }
                }
                assertThat(rs.getString(6)).isEqualTo("credit_risk");
                assertThat(rs.getInt(7)).isEqualTo(1);
                assertThat(rs.getString(8)).isEqualTo("champion");
                assertThat(rs.getBoolean(9)).isTrue();
            }
        }
        assertThat(rows).as("every answer's prediction is in the log, with its entity's stored row").isEqualTo(22);
        assertThat(featuresCompared).as("not vacuous: the logged rows carry the stored features").isGreaterThan(22 * 5);
    }

    /**
     * PostgreSQL healthy but slow for the online fetch (its table locked by another session): the by-id request is
     * answered with the default, degraded, and that answer is in the log like any other, marked as a default answer
     * so that drift and feedback metrics leave it out.
     */
    @Test
    void aDefaultAnswerIsLoggedDegradedAndMarkedSoThatItCanBeFoundAndIsNoModelPrediction() throws Exception {
        JsonObject a;
        try (Connection locker = fixture.db.connection()) {
            locker.setAutoCommit(false);
            locker.createStatement().execute("LOCK TABLE feature_online IN ACCESS EXCLUSIVE MODE");
            a = post("/v1/predict", "{\"entity_id\": \"3\"}").bodyAsJsonObject();
            locker.rollback();
        }
        assertThat(a.getBoolean("degraded")).as(a.encode()).isTrue();
        assertThat(a.getString("degraded_reason")).contains("default answer");
        String id = a.getString("prediction_id");
        assertThat(id).isNotNull();

        awaitLogged(Set.of(id));

        try (Connection c = fixture.db.connection(); ResultSet rs = c.createStatement().executeQuery("SELECT degraded,"
                + " output->>'default_answer', entity_id, (SELECT count(*) FROM prediction_log WHERE id = '" + id
                + "' AND " + dev.converge.serve.monitor.PredictionLog.modelAnswers("") + ") FROM prediction_log"
                + " WHERE id = '" + id + "'")) {
            assertThat(rs.next()).as("the default answer is in the log").isTrue();
            assertThat(rs.getBoolean(1)).isTrue();
            assertThat(rs.getString(2)).contains("online features unavailable");
            assertThat(rs.getString(3)).isEqualTo("3");
            assertThat(rs.getLong(4)).as("readers of the model's answers leave it out").isZero();
        }
    }

    @Test
    @org.junit.jupiter.api.Order(Integer.MAX_VALUE - 1) // its server logs into the same table: after the drift test
    void aBurstThatOverflowsTheLogsBufferCostsNoAnswerAndIsCounted() throws Exception {
        ServeConfig tiny = ServeConfig.builder().port(0).eventLoops(1).scoringWorkers(2).inlineScoringMaxMicros(50)
                .pgPoolSize(4).resilience(Resilience.builder().redisUrl("none").breakerOpenSeconds(60).build())
                .predictionLog(new PredictionLogSettings(true, 1.0, 5, 5, 1000, 30, 1_000_000))
                .drift(new DriftSettings(0, 60, 10_000, 0.1, 0.25)).build();
        PredictionServer other = PredictionServer.start(tiny, fixture.db.endpoint(), null).toCompletionStage()
                .toCompletableFuture().get(30, TimeUnit.SECONDS);
        try {
            ServeFixture.awaitModel(other);
            // The writer is held up by a lock on the log (a slow database, made certain): its buffer of 5 fills.
            try (Connection lock = fixture.db.connection()) {
                lock.setAutoCommit(false);
                lock.createStatement().execute("LOCK TABLE prediction_log IN ACCESS EXCLUSIVE MODE");
                List<java.util.concurrent.CompletableFuture<HttpResponse<Buffer>>> burst = new ArrayList<>();
                for (int i = 0; i < 400; i++) {
                    burst.add(http.post(other.port(), "127.0.0.1", "/v1/predict").putHeader("content-type",
                            "application/json").sendBuffer(Buffer.buffer("{\"entity_id\": \"" + (1 + i) + "\"}"))
                            .toCompletionStage().toCompletableFuture());
                }
                for (var f : burst) {
                    assertThat(f.get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
                }
                lock.rollback();
            }
            String scrape = other.metrics().scrape();
            double dropped = Double.parseDouble(scrape.replaceAll("(?s).*converge_prediction_log_rows_total\\{outcome="
                    + "\"dropped_buffer_full\"} ([0-9.E]+).*", "$1"));
            assertThat(dropped).as(scrape).isGreaterThan(0);
        } finally {
            other.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void feedbackIsRecordedOncePerPredictionAndBadFeedbackNamesTheField() throws Exception {
        String id = post("/v1/predict", "{\"entity_id\": \"30\"}").bodyAsJsonObject().getString("prediction_id");
        awaitLogged(Set.of(id));

        HttpResponse<Buffer> first = post("/v1/feedback", new JsonObject().put("prediction_id", id).put("label", "bad")
                .put("observed_at", "2026-11-01T00:00:00Z").encode());
        HttpResponse<Buffer> again = post("/v1/feedback", new JsonObject().put("prediction_id", id).put("label", "good")
                .encode());
        HttpResponse<Buffer> bad = post("/v1/feedback", "{\"prediction_id\": \"nope\", \"label\": [1]}");

        assertThat(first.statusCode()).as(first.bodyAsString()).isEqualTo(201);
        assertThat(first.bodyAsJsonObject().getBoolean("logged")).isTrue();
        assertThat(again.statusCode()).isEqualTo(409);
        assertThat(count("SELECT count(*) FROM prediction_feedback WHERE prediction_id = '" + id + "' AND label ="
                + " '\"bad\"'")).isEqualTo(1);
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(bad.bodyAsJsonObject().getJsonArray("errors").encode()).contains("prediction_id").contains("label");
    }

    @Test
    void aShiftedFeatureAndANewLevelShowAsDriftAndUnchangedTrafficDoesNot() throws Exception {
        // Unchanged traffic: stored entities as they are.
        List<String> rows = new ArrayList<>();
        for (int i = 1; i <= 1000; i++) {
            rows.add("{\"entity_id\": \"" + i + "\"}");
        }
        batch(rows);
        JsonObject calm = awaitDrift(1000);
        assertThat(level(calm, "int_rate")).as(calm.encode()).isIn("ok", "warn");
        assertThat(psi(calm, "int_rate")).isLessThan(0.1);
        Thread.sleep(300);
        assertThat(alerts).noneMatch(a -> a.getString("alert").equals("drift/credit_risk/int_rate"));

        // Then 4,000 rows whose int_rate is moved up by one standard deviation and whose addr_state is a new level.
        double sd;
        try (Connection c = fixture.db.connection(); ResultSet rs = c.createStatement().executeQuery(
                "SELECT stddev_samp((hot->>'int_rate')::float8) FROM feature_online")) {
            rs.next();
            sd = rs.getDouble(1);
        }
        for (int b = 0; b < 4; b++) {
            List<String> shifted = new ArrayList<>();
            try (Connection c = fixture.db.connection(); ResultSet rs = c.createStatement().executeQuery(
                    "SELECT entity_id, (hot->>'int_rate')::float8 FROM feature_online ORDER BY entity_id OFFSET "
                            + b * 1000 + " LIMIT 1000")) {
                while (rs.next()) {
                    shifted.add(new JsonObject().put("entity_id", rs.getString(1)).put("features", new JsonObject()
                            .put("int_rate", rs.getDouble(2) + sd).put("addr_state", "ZZ")).encode());
                }
            }
            batch(shifted);
        }
        JsonObject drifted = awaitDrift(5000);

        assertThat(psi(drifted, "int_rate")).isGreaterThan(0.25);
        assertThat(level(drifted, "int_rate")).isEqualTo("alert");
        JsonArray unseen = feature(drifted, "addr_state").getJsonObject("bins").getJsonArray("(unseen)");
        assertThat(unseen.getDouble(0)).isZero();
        assertThat(unseen.getDouble(1)).isCloseTo(0.8, org.assertj.core.data.Offset.offset(0.01));
        assertThat(count("SELECT count(*) FROM drift_reports WHERE feature = 'int_rate' AND level = 'alert'"))
                .isEqualTo(1);
        assertThat(server.metrics().scrape()).contains("converge_drift_psi{feature=\"int_rate\",model=\"credit_risk\"}");
        long deadline = System.currentTimeMillis() + 5000;
        while (alerts.stream().noneMatch(a -> a.getString("alert").equals("drift/credit_risk/int_rate"))
                && System.currentTimeMillis() < deadline) {
            Thread.sleep(50);
        }
        JsonObject fired = alerts.stream().filter(a -> a.getString("alert").equals("drift/credit_risk/int_rate"))
                .findFirst().orElseThrow();
        assertThat(fired.getString("status")).isEqualTo("firing");
        assertThat(fired.getJsonObject("details").getDouble("psi")).isGreaterThan(0.25);
        awaitDrift(5000); // the same drift again: still firing, not sent again
        Thread.sleep(300);
        assertThat(alerts.stream().filter(a -> a.getString("alert").equals("drift/credit_risk/int_rate"))).hasSize(1);
    }

    @Test
    @org.junit.jupiter.api.Order(Integer.MAX_VALUE)
    void predictionsSlowedByABlockedEventLoopRaiseALatencyAlertThatNamesTheLoop() throws Exception {
        // Earlier tests' traffic may have tripped this server's low threshold (20 ms): start from a quiet state.
        long quiet = System.currentTimeMillis() + 10_000;
        while (server.metrics().scrape().contains("converge_alerts_firing{alert=\"latency/credit_risk\"} 1.0")
                && System.currentTimeMillis() < quiet) {
            Thread.sleep(100);
        }
        int before = alerts.size();
        long end = System.currentTimeMillis() + 6000;
        java.util.concurrent.atomic.AtomicInteger answered = new java.util.concurrent.atomic.AtomicInteger();
        Thread load = new Thread(() -> {
            List<java.util.concurrent.CompletableFuture<?>> inFlight = new ArrayList<>();
            int i = 0;
            while (System.currentTimeMillis() < end) {
                inFlight.removeIf(java.util.concurrent.CompletableFuture::isDone);
                while (inFlight.size() < 8) {
                    inFlight.add(http.post("/v1/predict").putHeader("content-type", "application/json")
                            .sendBuffer(Buffer.buffer("{\"entity_id\": \"" + (1 + i++ % 500) + "\"}"))
                            .onSuccess(r -> answered.incrementAndGet()).toCompletionStage().toCompletableFuture());
                }
                try {
                    Thread.sleep(2);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        load.start();
        while (System.currentTimeMillis() < end) {
            post("/test/block", "");
            Thread.sleep(200);
        }
        load.join();

        long deadline = System.currentTimeMillis() + 5000;
        java.util.function.Supplier<java.util.Optional<JsonObject>> fired = () -> alerts.subList(before, alerts.size())
                .stream().filter(a -> a.getString("alert").equals("latency/credit_risk")
                        && a.getString("status").equals("firing")).findFirst();
        while (fired.get().isEmpty() && System.currentTimeMillis() < deadline) {
            Thread.sleep(50);
        }
        JsonObject alert = fired.get().orElseThrow(() -> new AssertionError("no latency alert; " + answered
                + " answered"));
        assertThat(alert.getJsonObject("details").getString("cause")).as(alert.encode()).isEqualTo("event-loop lag");
        assertThat(alert.getJsonObject("details").getDouble("loop_lag_ms")).isGreaterThan(100);
        assertThat(alert.getString("summary")).contains("event-loop lag").contains("feature fetch");
    }

    /** Sends rows in batches of 200 (a batch's rows are admitted against the scoring queue together). */
    static void batch(List<String> rows) throws Exception {
        for (int i = 0; i < rows.size(); i += 200) {
            HttpResponse<Buffer> r = post("/v1/predict/batch", "{\"rows\": [" + String.join(", ",
                    rows.subList(i, Math.min(rows.size(), i + 200))) + "]}");
            assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
        }
    }

    /** Runs the drift job once the log holds at least {@code rows} predictions. */
    static JsonObject awaitDrift(long rows) throws Exception {
        long deadline = System.currentTimeMillis() + 15_000;
        while (count("SELECT count(*) FROM prediction_log") < rows && System.currentTimeMillis() < deadline) {
            Thread.sleep(100);
        }
        HttpResponse<Buffer> r = post("/admin/drift/run?window_minutes=60", "");
        assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
        return r.bodyAsJsonObject();
    }

    static JsonObject feature(JsonObject report, String name) {
        return report.getJsonArray("features").stream().map(JsonObject.class::cast)
                .filter(f -> f.getString("feature").equals(name)).findFirst().orElseThrow();
    }

    static double psi(JsonObject report, String name) {
        return feature(report, name).getDouble("psi");
    }

    static String level(JsonObject report, String name) {
        return feature(report, name).getString("level");
    }
}
