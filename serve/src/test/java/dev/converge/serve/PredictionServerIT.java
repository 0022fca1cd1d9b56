package dev.converge.serve;

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
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The server against real PostgreSQL, with real MOJOs, driven over real HTTP. */
class PredictionServerIT {
    static final String TOKEN = "test-admin-token-0123456789";
    @TempDir
    static Path work;
    static ServeFixture fixture;
    static PredictionServer server;
    static Vertx clientVertx;
    static WebClient http;

    @BeforeAll
    static void start() throws Exception {
        fixture = new ServeFixture(work);
        ServeConfig config = ServeConfig.builder().port(0).adminToken(TOKEN).eventLoops(2).scoringWorkers(2)
                .inlineScoringMaxMicros(50).batchMaxRows(100).bodyLimitBytes(64 * 1024).pgPoolSize(4).build();
        server = PredictionServer.start(config, fixture.db.endpoint(), router -> router.get("/test/block").handler(ctx -> {
            try {
                Thread.sleep(300); // blocks the event loop on purpose: the lag probe must notice
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            ctx.response().end("blocked");
        })).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        clientVertx = Vertx.vertx();
        http = WebClient.create(clientVertx, new WebClientOptions().setDefaultHost("127.0.0.1")
                .setDefaultPort(server.port()));
        long deadline = System.currentTimeMillis() + 30_000;
        while (get("/health/ready").statusCode() != 200 && System.currentTimeMillis() < deadline) {
            Thread.sleep(100);
        }
    }

    @AfterAll
    static void stop() throws Exception {
        server.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        clientVertx.close();
        fixture.close();
    }

    static HttpResponse<Buffer> get(String path) throws Exception {
        return http.get(path).send().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    static HttpResponse<Buffer> post(String path, String body) throws Exception {
        return http.post(path).putHeader("content-type", "application/json").sendBuffer(Buffer.buffer(body))
                .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    static HttpResponse<Buffer> admin(String path, String token) throws Exception {
        var req = http.post(path);
        if (token != null) {
            req.putHeader("Authorization", "Bearer " + token);
        }
        return req.send().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    /**
     * What is ready: the verified champion, named. (That a version failing verification is never served is
     * {@link #aTamperedArtifactIsRefusedAndTheActiveModelKeepsServing}'s and {@link
     * #aVersionWithNoReferenceRowsIsRefusedNotPassed}'s; this test never sees a server before its first load.)
     */
    @Test
    void readyWithTheVerifiedChampionNamedAndLiveAlways() throws Exception {
        JsonObject ready = get("/health/ready").bodyAsJsonObject();

        assertThat(ready.getBoolean("ready")).isTrue();
        assertThat(ready.getJsonObject("model").getInteger("version")).isEqualTo(1);
        assertThat(get("/health/live").statusCode()).isEqualTo(200);
    }

    @Test
    void predictsFromStoredFeaturesAndFromInlineFeatures() throws Exception {
        HttpResponse<Buffer> stored = post("/v1/predict", "{\"entity_id\": \"1\"}");

        assertThat(stored.statusCode()).as(stored.bodyAsString()).isEqualTo(200);
        JsonObject p = stored.bodyAsJsonObject();
        assertThat(p.getString("prediction")).isIn("good", "bad");
        JsonObject probs = p.getJsonObject("probabilities");
        assertThat(probs.getDouble("good") + probs.getDouble("bad")).isCloseTo(1.0,
                org.assertj.core.data.Offset.offset(1e-9));
        assertThat(p.getBoolean("degraded")).isFalse();

        // The same features sent inline, without the entity: the same answer, to the last digit.
        JsonObject features = new JsonObject();
        try (java.sql.Connection c = fixture.db.connection(); java.sql.ResultSet rs = c.createStatement()
                .executeQuery("SELECT hot::text, coalesce(cold, '{}')::text FROM feature_online WHERE entity_id = '1'")) {
            assertThat(rs.next()).isTrue();
            JsonObject hot = new JsonObject(rs.getString(1)).mergeIn(new JsonObject(rs.getString(2)));
            for (String f : server.activeModel().schema().names()) {
                if (hot.containsKey(f)) {
                    features.put(f, hot.getValue(f));
                }
            }
        }
        assertThat(features.size()).as("the inline row carries the model's features").isGreaterThan(5);
        HttpResponse<Buffer> inline = post("/v1/predict", new JsonObject().put("features", features).encode());
        assertThat(inline.statusCode()).as(inline.bodyAsString()).isEqualTo(200);
        assertThat(inline.bodyAsJsonObject().getString("prediction")).isEqualTo(p.getString("prediction"));
        assertThat(inline.bodyAsJsonObject().getJsonObject("probabilities").getDouble("bad"))
                .isEqualTo(probs.getDouble("bad"));
        JsonObject full = new JsonObject(post("/v1/predict", "{\"entity_id\": \"1\"}").bodyAsString());
        HttpResponse<Buffer> overridden = post("/v1/predict",
                "{\"entity_id\": \"1\", \"features\": {\"int_rate\": 29.99, \"sub_grade\": \"G5\"}}");
        assertThat(overridden.statusCode()).isEqualTo(200);
        assertThat(overridden.bodyAsJsonObject().getJsonObject("probabilities").getDouble("bad"))
                .as("a riskier loan").isGreaterThan(full.getJsonObject("probabilities").getDouble("bad"));
    }

    @Test
    void badInputIsA4xxThatNamesTheFieldNeverA500() throws Exception {
        assertError(post("/v1/predict", "{\"entity_id\": \"1\", "), 400, "malformed_json", null);
        assertError(post("/v1/predict", "[1,2]"), 400, "bad_request", "(body)");
        assertError(post("/v1/predict", ""), 400, "empty_body", null);
        assertError(post("/v1/predict", "{\"entity\": \"1\"}"), 400, "bad_request", "entity");
        assertError(post("/v1/predict", "{\"entity_id\": {\"a\": 1}}"), 400, "bad_request", "entity_id");
        assertError(post("/v1/predict", "{\"entity_id\": \"1\", \"features\": {\"int_rate\": \"12\"}}"), 422,
                "invalid_features", "int_rate");
        assertError(post("/v1/predict", "{\"entity_id\": \"1\", \"features\": {\"colour\": \"red\"}}"), 422,
                "invalid_features", "colour");
        assertError(post("/v1/predict", "{\"features\": {\"int_rate\": 12.5}}"), 422, "invalid_features",
                "funded_amnt");
        assertError(post("/v1/predict", "{\"entity_id\": \"no-such-loan\"}"), 404, "unknown_entity", "entity_id");
        assertError(post("/v1/predict", "{\"entity_id\": \"1\", \"features\": {\"int_rate\": NaN}}"), 400,
                "malformed_json", null);
        assertError(post("/v1/predict", "{\"features\": {\"x\": \"" + "y".repeat(70_000) + "\"}}"), 413,
                "body_too_large", null);
        assertError(post("/v1/nothing", "{}"), 404, "not_found", null);
    }

    @Test
    void aNulOrALoneSurrogateInAnIdIsTheRequestsErrorAndTheBreakerNeverHearsOfIt() throws Exception {
        for (int i = 0; i < 8; i++) { // more than serve.breaker_failures
            assertError(post("/v1/predict", "{\"entity_id\": \"a\\u0000b\"}"), 400, "bad_request", "entity_id");
            assertError(post("/v1/predict", "{\"entity_id\": \"\\ud800\"}"), 400, "bad_request", "entity_id");
        }
        assertError(post("/v1/predict", "null"), 400, "bad_request", "(body)");

        assertThat(server.metrics().get("converge.breaker.state").tag("dependency", "postgresql").gauge().value())
                .isZero();
        JsonObject real = post("/v1/predict", "{\"entity_id\": \"5\"}").bodyAsJsonObject();
        assertThat(real.getBoolean("degraded")).as(real.encode()).isFalse();
        assertThat(real.getValue("prediction")).isNotNull();
    }

    private static void assertError(HttpResponse<Buffer> r, int status, String code, String field) {
        assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(status);
        JsonObject body = r.bodyAsJsonObject();
        assertThat(body.getString("error")).isEqualTo(code);
        assertThat(body.getString("message")).isNotBlank();
        if (field != null) {
            Set<String> fields = new HashSet<>();
            for (Object e : body.getJsonArray("errors")) {
                fields.add(((JsonObject) e).getString("field"));
            }
            assertThat(fields).contains(field);
        }
    }

    @Test
    void aBatchGetsAResultPerRowAndOneBadRowFailsNoOther() throws Exception {
        HttpResponse<Buffer> r = post("/v1/predict/batch", "{\"rows\": [{\"entity_id\": \"1\"}, {\"entity_id\": \"2\","
                + " \"features\": {\"int_rate\": \"high\"}}, {\"entity_id\": 3}, 42]}");

        assertThat(r.statusCode()).isEqualTo(200);
        JsonObject body = r.bodyAsJsonObject();
        assertThat(body.getInteger("ok")).isEqualTo(2);
        JsonArray results = body.getJsonArray("results");
        assertThat(results.getJsonObject(0).getBoolean("ok")).isTrue();
        assertThat(results.getJsonObject(1).getString("error")).isEqualTo("invalid_features");
        assertThat(results.getJsonObject(2).getBoolean("ok")).isTrue();
        assertThat(results.getJsonObject(3).getString("error")).isEqualTo("bad_request");
        assertError(post("/v1/predict/batch", "{\"rows\": [" + "{\"entity_id\": \"1\"},".repeat(100)
                + "{\"entity_id\": \"1\"}]}"), 413, "bad_batch_size", null);
    }

    @Test
    void adminRoutesNeedTheTokenAndSwapAndRollBack() throws Exception {
        assertThat(admin("/admin/models/2/activate", null).statusCode()).isEqualTo(401);
        assertThat(admin("/admin/models/2/activate", "wrong-token-wrong-token").statusCode()).isEqualTo(401);
        assertThat(admin("/admin/models/99/activate", TOKEN).statusCode()).isEqualTo(404);

        HttpResponse<Buffer> swap = admin("/admin/models/2/activate", TOKEN);
        assertThat(swap.statusCode()).as(swap.bodyAsString()).isEqualTo(200);
        assertThat(swap.bodyAsJsonObject().getInteger("active")).isEqualTo(2);
        JsonObject onV2 = post("/v1/predict", "{\"entity_id\": \"7\"}").bodyAsJsonObject();
        assertThat(onV2.getJsonObject("model").getInteger("version")).isEqualTo(2);

        HttpResponse<Buffer> back = admin("/admin/models/rollback", TOKEN);
        assertThat(back.bodyAsJsonObject().getInteger("active")).isEqualTo(1);
        JsonObject onV1 = post("/v1/predict", "{\"entity_id\": \"7\"}").bodyAsJsonObject();
        assertThat(onV1.getJsonObject("model").getInteger("version")).isEqualTo(1);
        assertThat(onV1.getJsonObject("probabilities").getDouble("bad"))
                .isNotEqualTo(onV2.getJsonObject("probabilities").getDouble("bad"));
    }

    /**
     * Registers a copy of v1 (same MOJO and reference unless given) with {@code metrics} merged over v1's, another
     * schema or artifact when non-null; returns its version.
     */
    static int registerVariantOfV1(java.util.Map<String, Object> metrics, dev.converge.contracts.FeatureSchema schema,
                                   String artifactUri, dev.converge.registry.ModelReference reference) throws Exception {
        dev.converge.registry.ModelVersion v1 = fixture.registry.show("credit_risk", 1).orElseThrow();
        java.util.Map<String, Object> m = new java.util.LinkedHashMap<>(v1.metrics());
        m.putAll(metrics);
        return fixture.registry.register(new dev.converge.registry.NewModelVersion("credit_risk", v1.algorithm(),
                artifactUri != null ? artifactUri : v1.artifactUri(), v1.artifactSha256(), v1.artifactSize(),
                v1.h2oVersion(), v1.mojoVersion(), "test", schema != null ? schema
                : dev.converge.registry.codec.SchemaCodec.fromJson(v1.featureSchemaJson()), null, null, m),
                reference != null ? reference : fixture.registry.reference("credit_risk", 1).orElseThrow(), "test")
                .version();
    }

    @Test
    void aTamperedArtifactIsRefusedAndTheActiveModelKeepsServing() throws Exception {
        java.nio.file.Path copy = work.resolve("tampered.zip");
        java.nio.file.Files.copy(work.resolve("glm.zip"), copy);
        dev.converge.registry.ModelVersion v1 = fixture.registry.show("credit_risk", 1).orElseThrow();
        int v3 = registerVariantOfV1(java.util.Map.of(), null, copy.toUri().toString(), null);
        byte[] bytes = java.nio.file.Files.readAllBytes(copy);
        bytes[bytes.length / 2] ^= 0x01; // one bit, same size: only the hash can tell
        java.nio.file.Files.write(copy, bytes);
        String tamperedSha = dev.converge.model.ArtifactStore.sha256(copy);
        int active = server.activeModel().version();

        HttpResponse<Buffer> r = admin("/admin/models/" + v3 + "/activate", TOKEN);

        assertThat(r.statusCode()).isEqualTo(409);
        assertThat(r.bodyAsJsonObject().getString("message")).contains("does not match its registration")
                .contains("size " + bytes.length + " (registered " + bytes.length + ")")
                .contains("sha256 " + tamperedSha + " (registered " + v1.artifactSha256() + ")");
        assertThat(server.activeModel().version()).isEqualTo(active);
        assertThat(post("/v1/predict", "{\"entity_id\": \"1\"}").statusCode()).isEqualTo(200);
    }

    @Test
    void everyReplicaFollowsTheRegistryThroughListen() throws Exception {
        fixture.registry.promote("credit_risk", 2, "test", "listen test");
        long deadline = System.currentTimeMillis() + 15_000;
        while (server.activeModel().version() != 2 && System.currentTimeMillis() < deadline) {
            Thread.sleep(50);
        }

        assertThat(server.activeModel().version()).isEqualTo(2);
        fixture.registry.rollback("credit_risk", "test", "back");
        deadline = System.currentTimeMillis() + 15_000;
        while (server.activeModel().version() != 1 && System.currentTimeMillis() < deadline) {
            Thread.sleep(50);
        }
        assertThat(server.activeModel().version()).isEqualTo(1);
    }

    @Test
    void servingScoresAStoredRowExactlyAsTrainingEncodesIt() throws Exception {
        // Training reads stored rows with JDBC and Jackson and encodes each value with FeatureEncoding (as
        // TrainingTable's columns do); serving reads them with the reactive client and Vert.x's JSON, validates and
        // encodes. For the same stored row, the model must see the same values: the same probabilities, exactly.
        dev.converge.serve.model.ModelHandle model = server.activeModel();
        List<String> ids = new java.util.ArrayList<>();
        for (int i = 1; i <= 60; i++) {
            ids.add(Integer.toString(i));
        }
        List<dev.converge.store.PitRow> stored = new java.util.ArrayList<>();
        new dev.converge.store.PointInTime(fixture.db).extract(ids.stream().map(id -> new dev.converge.store.LabelEvent(
                id, java.time.Instant.parse("2100-01-01T00:00:00Z"))).iterator(), null, true, stored::add);
        int compared = 0;
        for (dev.converge.store.PitRow r : stored) {
            if (r.hot() == null) {
                continue;
            }
            java.util.Map<String, Object> trainingRow = new java.util.LinkedHashMap<>();
            for (dev.converge.contracts.FeatureSpec spec : model.schema().features()) {
                if (spec.type() == dev.converge.contracts.FeatureType.TEXT) {
                    continue;
                }
                Object raw = r.hot().containsKey(spec.name()) ? r.hot().get(spec.name())
                        : r.cold() == null ? null : r.cold().get(spec.name());
                Object v = dev.converge.contracts.FeatureEncoding.encode(spec.type(), raw);
                if (v != null && !(v instanceof Double d && d.isNaN())) { // missing: NaN in a frame, absent in a row
                    trainingRow.put(spec.name(), v);
                }
            }
            JsonObject served = post("/v1/predict", "{\"entity_id\": \"" + r.entityId() + "\"}").bodyAsJsonObject();
            java.util.Map<String, Double> expected = model.score(trainingRow).probabilities();
            assertThat(served.getBoolean("degraded")).isFalse();
            for (java.util.Map.Entry<String, Double> e : expected.entrySet()) {
                assertThat(served.getJsonObject("probabilities").getDouble(e.getKey()))
                        .as("entity %s, class %s", r.entityId(), e.getKey()).isEqualTo(e.getValue());
            }
            compared++;
        }
        assertThat(compared).isGreaterThan(40);
    }

    private static JsonObject storedFeatures(String entity) throws Exception {
        JsonObject features = new JsonObject();
        java.util.Map<String, Object> stored = new dev.converge.store.OnlineStore(fixture.db).read(entity, true)
                .orElseThrow().hot();
        for (String f : server.activeModel().schema().names()) {
            features.put(f, stored.get(f));
        }
        return features;
    }

    @Test
    void aBinomialAnswerShowsTheThresholdItsLabelWasDecidedWith() throws Exception {
        JsonObject a = post("/v1/predict", "{\"entity_id\": \"7\"}").bodyAsJsonObject();

        double threshold = a.getDouble("threshold");
        assertThat(threshold).isBetween(0.0, 1.0);
        assertThat(a.getJsonObject("model").getDouble("threshold")).isEqualTo(threshold);
        // The fixture records neither the threshold's source nor its value: the answer does not guess which rows.
        assertThat(a.getJsonObject("model").getString("threshold_metric")).isEqualTo("h2o's default (max f1)");
        List<String> classes = new java.util.ArrayList<>(a.getJsonObject("probabilities").fieldNames());
        String positive = classes.get(classes.size() - 1);
        assertThat(a.getJsonObject("model").getString("positive_class")).isEqualTo(positive).isEqualTo("good");
        String expected = a.getJsonObject("probabilities").getDouble(positive) >= threshold ? positive : classes.get(0);
        assertThat(a.getString("prediction")).isEqualTo(expected);
    }

    @Test
    void aRegisteredThresholdDecidesTheLabelAndIsReturned() throws Exception {
        int v = registerVariantOfV1(java.util.Map.of("threshold", 0.999, "threshold_metric", "fixed by the pipeline"),
                null, null, null);
        int before = server.activeModel().version();
        try {
            assertThat(admin("/admin/models/" + v + "/activate", TOKEN).statusCode()).isEqualTo(200);
            JsonObject a = post("/v1/predict", "{\"entity_id\": \"7\"}").bodyAsJsonObject();

            assertThat(a.getDouble("threshold")).isEqualTo(0.999);
            assertThat(a.getJsonObject("model").getString("threshold_metric")).isEqualTo("fixed by the pipeline");
            List<String> classes = new java.util.ArrayList<>(a.getJsonObject("probabilities").fieldNames());
            String positive = classes.get(classes.size() - 1);
            assertThat(a.getString("prediction")).isEqualTo(a.getJsonObject("probabilities").getDouble(positive)
                    >= 0.999 ? positive : classes.get(0));
        } finally {
            admin("/admin/models/" + before + "/activate", TOKEN);
        }
    }

    @Test
    void aModelOfAFeatureSetReadsThatSetsEntities() throws Exception {
        // Three lending rows under the feature set "lc" (ids 1..3 there), another value of funded_amnt.
        java.nio.file.Path part = work.resolve("lc-part.csv");
        List<String> lines = java.nio.file.Files.readAllLines(ServeFixture.ROOT.resolve("examples/data/lending_club.csv"));
        java.nio.file.Files.write(part, lines.subList(0, 4));
        dev.converge.contracts.FeatureSchema dataSchema = new dev.converge.store.SchemaRegistry(fixture.db)
                .latest().orElseThrow().schema();
        try (dev.converge.store.impl.CsvSource src = new dev.converge.store.impl.CsvSource(part)) {
            new dev.converge.store.Ingestor(fixture.db).ingest(src, dataSchema,
                    dev.converge.store.IngestOptions.of(null, null).withFeatureSet("lc"), null);
        }
        int v = registerVariantOfV1(java.util.Map.of("feature_set", "lc"), null, null, null);
        int before = server.activeModel().version();
        try {
            assertThat(admin("/admin/models/" + v + "/activate", TOKEN).statusCode()).isEqualTo(200);

            HttpResponse<Buffer> inSet = post("/v1/predict", "{\"entity_id\": \"2\"}");
            HttpResponse<Buffer> notInSet = post("/v1/predict", "{\"entity_id\": \"40\"}"); // stored, not in "lc"

            assertThat(inSet.statusCode()).as(inSet.bodyAsString()).isEqualTo(200);
            assertThat(notInSet.statusCode()).isEqualTo(404);
            assertThat(notInSet.bodyAsJsonObject().getString("message")).contains("in feature set 'lc'");
        } finally {
            admin("/admin/models/" + before + "/activate", TOKEN);
        }
    }

    @Test
    void aLabelColumnInTheRequestIsIgnoredWithAWarning() throws Exception {
        String label = server.activeModel().label();
        JsonObject features = storedFeatures("9").put(label, "good");

        HttpResponse<Buffer> r = post("/v1/predict", new JsonObject().put("features", features).encode());

        assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
        assertThat(r.bodyAsJsonObject().getJsonArray("warnings").getJsonObject(0).getString("reason"))
                .isEqualTo("label_ignored");
        assertThat(r.bodyAsJsonObject().getJsonArray("warnings").getJsonObject(0).getString("field")).isEqualTo(label);
    }

    @Test
    void anUnseenLevelIsScoredAsMissingAndSaidSoAndCounted() throws Exception {
        dev.converge.contracts.FeatureSpec categorical = server.activeModel().schema().features().stream()
                .filter(f -> f.type() == dev.converge.contracts.FeatureType.CATEGORICAL).findFirst().orElseThrow();

        HttpResponse<Buffer> r = post("/v1/predict", new JsonObject().put("entity_id", "11").put("features",
                new JsonObject().put(categorical.name(), "never-seen-level")).encode());

        assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
        JsonObject w = r.bodyAsJsonObject().getJsonArray("warnings").getJsonObject(0);
        assertThat(w.getString("field")).isEqualTo(categorical.name());
        assertThat(w.getString("reason")).isEqualTo("unseen_level");
        assertThat(w.getString("message")).contains("never-seen-level").contains("scores it as missing");
        assertThat(server.metrics().get("converge.unseen.levels").tag("feature", categorical.name()).counter().count())
                .isPositive();
        assertThat(r.bodyAsJsonObject().getBoolean("degraded")).isFalse();
    }

    @Test
    void anUnknownEntityIsNamedNotReportedAsEveryFeatureMissing() throws Exception {
        HttpResponse<Buffer> none = post("/v1/predict", "{\"entity_id\": \"no-such-entity\"}");

        assertThat(none.statusCode()).isEqualTo(404);
        assertThat(none.bodyAsJsonObject().getString("error")).isEqualTo("unknown_entity");
        assertThat(none.bodyAsJsonObject().getString("message")).contains("'no-such-entity'");
        assertThat(none.bodyAsJsonObject().getJsonArray("errors")).hasSize(1);

        HttpResponse<Buffer> withFeatures = post("/v1/predict", new JsonObject().put("entity_id", "no-such-entity")
                .put("features", storedFeatures("3")).encode());
        assertThat(withFeatures.statusCode()).isEqualTo(200);
        assertThat(withFeatures.bodyAsJsonObject().getJsonArray("warnings").getJsonObject(0).getString("reason"))
                .isEqualTo("unknown_entity");
    }

    @Test
    void theModelsMissingValueTokensAreReadAsMissingWithAWarning() throws Exception {
        dev.converge.registry.ModelVersion v1 = fixture.registry.show("credit_risk", 1).orElseThrow();
        dev.converge.contracts.FeatureSchema base = dev.converge.registry.codec.SchemaCodec.fromJson(
                v1.featureSchemaJson());
        dev.converge.contracts.FeatureSpec first = base.features().get(0);
        dev.converge.contracts.FeatureSchema withTokens = base.with(new dev.converge.contracts.FeatureSpec(
                first.name(), first.type(), first.temperature(), true, first.min(), first.max(), first.levels(),
                first.allowNonFinite())).withMissingValues(List.of("NA", "?"));
        int v = registerVariantOfV1(java.util.Map.of(), withTokens, null, null);
        int before = server.activeModel().version();
        try {
            assertThat(admin("/admin/models/" + v + "/activate", TOKEN).statusCode()).isEqualTo(200);
            String feature = first.name(); // made nullable above: "NA" is then scored as missing
            HttpResponse<Buffer> r = post("/v1/predict", new JsonObject().put("features", storedFeatures("12")
                    .put(feature, "NA")).encode());

            assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
            JsonObject w = r.bodyAsJsonObject().getJsonArray("warnings").getJsonObject(0);
            assertThat(w.getString("reason")).isEqualTo("read_as_missing");
            assertThat(w.getString("field")).isEqualTo(feature);
        } finally {
            admin("/admin/models/" + before + "/activate", TOKEN);
        }
    }

    @Test
    void aMissingValueSentForAFeatureNeverMissingInTrainingIsScoredWithAWarningAndAnOmittedOneIsRefused()
            throws Exception {
        dev.converge.registry.ModelVersion v1 = fixture.registry.show("credit_risk", 1).orElseThrow();
        dev.converge.contracts.FeatureSchema base = dev.converge.registry.codec.SchemaCodec.fromJson(
                v1.featureSchemaJson());
        dev.converge.contracts.FeatureSpec first = base.features().get(0);
        dev.converge.contracts.FeatureSpec second = base.features().get(1);
        assertThat(first.nullable()).as("the fixture's features are never missing in training").isFalse();
        assertThat(second.nullable()).isFalse();
        int v = registerVariantOfV1(java.util.Map.of(), base.withMissingValues(List.of("NA")), null, null);
        int before = server.activeModel().version();
        try {
            assertThat(admin("/admin/models/" + v + "/activate", TOKEN).statusCode()).isEqualTo(200);
            HttpResponse<Buffer> r = post("/v1/predict", new JsonObject().put("features", storedFeatures("12")
                    .put(first.name(), "NA").putNull(second.name())).encode());

            assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
            assertThat(r.bodyAsJsonObject().getValue("prediction")).isNotNull();
            List<JsonObject> warnings = r.bodyAsJsonObject().getJsonArray("warnings").stream()
                    .map(JsonObject.class::cast).toList();
            assertThat(warnings).extracting(w -> w.getString("field") + ":" + w.getString("reason")).contains(
                    first.name() + ":read_as_missing", first.name() + ":missing_not_seen_in_training",
                    second.name() + ":missing_not_seen_in_training");
            assertThat(warnings.stream().filter(w -> w.getString("reason").equals("missing_not_seen_in_training")
                    && w.getString("field").equals(first.name())).findFirst().orElseThrow().getString("message"))
                    .contains("'NA'", "never missing");

            JsonObject omitted = storedFeatures("12");
            omitted.remove(first.name());
            HttpResponse<Buffer> refused = post("/v1/predict", new JsonObject().put("features", omitted).encode());
            assertThat(refused.statusCode()).as(refused.bodyAsString()).isEqualTo(422);
            assertThat(refused.bodyAsJsonObject().getJsonArray("errors").getJsonObject(0).getString("reason"))
                    .isEqualTo("missing");
        } finally {
            admin("/admin/models/" + before + "/activate", TOKEN);
        }
    }

    @Test
    void aRequestSendingAFeatureTheServerDerivesIsToldWhatToSendInstead() throws Exception {
        int v = registerVariantOfV1(java.util.Map.of("derived_features", List.of(java.util.Map.of("name", "dow", "op",
                "day_of_week", "source", "event_time", "zone", "America/Chicago"))), null, null, null);
        int before = server.activeModel().version();
        try {
            assertThat(admin("/admin/models/" + v + "/activate", TOKEN).statusCode()).isEqualTo(200);

            HttpResponse<Buffer> r = post("/v1/predict", new JsonObject().put("features", storedFeatures("12")
                    .put("dow", "sat")).encode());

            assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(422);
            JsonObject e = r.bodyAsJsonObject().getJsonArray("errors").getJsonObject(0);
            assertThat(e.getString("field")).isEqualTo("dow");
            assertThat(e.getString("reason")).isEqualTo("derived_feature");
            assertThat(e.getString("message")).contains("day_of_week of event_time in America/Chicago")
                    .contains("send event_time");
            assertThat(post("/v1/predict", new JsonObject().put("features", storedFeatures("12"))
                    .put("event_time", "2024-06-02T03:30:00Z").encode()).statusCode()).isEqualTo(200);
        } finally {
            admin("/admin/models/" + before + "/activate", TOKEN);
        }
    }

    @Test
    void aVersionWithNoReferenceRowsIsRefusedNotPassed() throws Exception {
        dev.converge.registry.ModelReference ref = fixture.registry.reference("credit_risk", 1).orElseThrow();
        int bare = registerVariantOfV1(java.util.Map.of(), null, null, new dev.converge.registry.ModelReference(
                ref.sweepId(), java.util.List.of(), java.util.List.of(), ref.baselines(), ref.scoringLatency()));
        int active = server.activeModel().version();

        HttpResponse<Buffer> r = admin("/admin/models/" + bare + "/activate", TOKEN);

        assertThat(r.statusCode()).isEqualTo(409);
        assertThat(r.bodyAsJsonObject().getString("message")).contains("no reference rows");
        assertThat(server.activeModel().version()).isEqualTo(active);
    }

    @Test
    void aRollbackSentWhileThePromotedVersionLoadsStillWins() throws Exception {
        int champion = fixture.registry.champion("credit_risk").orElseThrow().version();
        int other = champion == 1 ? 2 : 1;
        long notices = server.runtime().champion().noticesSeen();
        fixture.registry.promote("credit_risk", other, "test", "promote");
        fixture.registry.rollback("credit_risk", "test", "changed our mind at once"); // while 'other' loads
        int start = fixture.registry.champion("credit_risk").orElseThrow().version();
        assertThat(start).isEqualTo(champion);

        // Once both notices have arrived and the passes they started have ended, with none pending (a load of
        // 'other' may have started, even finished, meanwhile): the rollback is what is served. No sleep, so no
        // machine is too slow for it, and no pass of the test's own to do the server's work.
        server.runtime().champion().awaitFollowed(notices + 2).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        assertThat(fixture.registry.champion("credit_risk").orElseThrow().version()).isEqualTo(start);
        assertThat(server.activeModel().version()).isEqualTo(start);
    }

    @Test
    void aChampionChangedWhileTheSubscriptionWasDownIsPickedUpOnReconnect() throws Exception {
        server.runtime().champion().polling(false); // else the 30 s backstop could do the reconnect's work inside the deadline
        try {
            int start = fixture.registry.champion("credit_risk").orElseThrow().version();
            int other = start == 1 ? 2 : 1;
            try (java.sql.Connection c = fixture.db.dataSource().getConnection(); java.sql.Statement st = c.createStatement()) {
                // Cut the LISTEN connection, and change the champion before the subscriber reconnects (1 s): that
                // notice goes to no one.
                try (java.sql.ResultSet killed = st.executeQuery("SELECT count(*) FROM (SELECT pg_terminate_backend(pid)"
                        + " FROM pg_stat_activity WHERE query ILIKE 'LISTEN%' AND pid <> pg_backend_pid()) k")) {
                    killed.next();
                    assertThat(killed.getInt(1)).as("a LISTEN connection was cut (else this tests the notice path)")
                            .isPositive();
                }
            }
            fixture.registry.promote("credit_risk", other, "test", "while the subscriber is away");

            long deadline = System.currentTimeMillis() + 15_000;
            while (server.activeModel().version() != other && System.currentTimeMillis() < deadline) {
                Thread.sleep(50);
            }
            assertThat(server.activeModel().version()).as("picked up by the re-read on reconnect: the periodic"
                    + " re-read is off in this test").isEqualTo(other);
            fixture.registry.promote("credit_risk", start, "test", "restore");
            deadline = System.currentTimeMillis() + 15_000;
            while (server.activeModel().version() != start && System.currentTimeMillis() < deadline) {
                Thread.sleep(50);
            }
        } finally {
            server.runtime().champion().polling(true);
        }
    }

    @Test
    void replacedModelsAreReleased() throws Exception {
        // 30 swaps between two versions and rollbacks: the server may keep the active model and the previous one
        // (for rollback), nothing more: no cache, metric, loader or queue holds on to a replaced model.
        List<java.lang.ref.WeakReference<Object>> seen = new java.util.ArrayList<>();
        for (int i = 0; i < 30; i++) {
            int next = server.activeModel().version() == 1 ? 2 : 1;
            HttpResponse<Buffer> r = i % 3 == 2 ? admin("/admin/models/rollback", TOKEN)
                    : admin("/admin/models/" + next + "/activate", TOKEN);
            assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
            assertThat(post("/v1/predict", "{\"entity_id\": \"" + (i + 1) + "\"}").statusCode()).isEqualTo(200);
            seen.add(new java.lang.ref.WeakReference<>(server.activeModel()));
        }
        long alive = Long.MAX_VALUE;
        for (int attempt = 0; attempt < 20 && alive > 2; attempt++) {
            System.gc();
            Thread.sleep(100);
            alive = seen.stream().map(java.lang.ref.Reference::get).filter(java.util.Objects::nonNull)
                    .map(System::identityHashCode).distinct().count();
        }
        assertThat(alive).as("distinct models still reachable after 30 swaps").isLessThanOrEqualTo(2);
        fixture.registry.champion("credit_risk").ifPresent(c -> {
            try {
                admin("/admin/models/" + c.version() + "/activate", TOKEN);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
    }

    @Test
    void metricsCoverRequestsScoringLagAndTheModel() throws Exception {
        post("/v1/predict", "{\"entity_id\": \"1\"}");

        String metrics = get("/metrics").bodyAsString();

        assertThat(metrics).contains("http_server_requests_seconds_bucket", "route=\"/v1/predict\"",
                "converge_scoring_seconds", "converge_eventloop_lag_seconds", "converge_model_info",
                "jvm_memory_used_bytes", "converge_scoring_queue", "converge_pg_pool_size",
                "converge_pg_pool_in_use", "converge_pg_pool_waiting", "converge_scoring_expected_wait",
                "converge_scoring_expired_total", "converge_shed_total{reason=\"queue_wait\"}");
    }

    @Test
    void aBlockingRouteIsCaughtByTheLagProbe() throws Exception {
        double before = server.metrics().counter("converge.eventloop.blocked").count();

        get("/test/block");
        Thread.sleep(200);

        assertThat(server.metrics().counter("converge.eventloop.blocked").count()).isGreaterThan(before);
    }

    @Test
    void theRealRoutesUnderLoadAreNotFlagged() throws Exception {
        double before = server.metrics().counter("converge.eventloop.blocked").count();
        java.util.List<java.util.concurrent.CompletableFuture<?>> inFlight = new java.util.ArrayList<>();

        for (int i = 0; i < 400; i++) {
            String body = i % 2 == 0 ? "{\"entity_id\": \"" + (1 + i % 900) + "\"}"
                    : "{\"rows\": [{\"entity_id\": \"5\"}, {\"entity_id\": \"6\"}]}";
            inFlight.add(http.post(i % 2 == 0 ? "/v1/predict" : "/v1/predict/batch").sendBuffer(Buffer.buffer(body))
                    .toCompletionStage().toCompletableFuture());
        }
        java.util.concurrent.CompletableFuture.allOf(inFlight.toArray(java.util.concurrent.CompletableFuture[]::new))
                .get(60, TimeUnit.SECONDS);

        for (var f : inFlight) {
            assertThat(((HttpResponse<?>) f.get()).statusCode()).isEqualTo(200);
        }
        assertThat(server.metrics().counter("converge.eventloop.blocked").count()).isEqualTo(before);
    }

    @Test
    void theOpenApiDocumentDescribesExactlyTheRoutes() throws Exception {
        JsonObject doc = get("/openapi.json").bodyAsJsonObject();

        Set<String> documented = new HashSet<>(doc.getJsonObject("paths").fieldNames());
        assertThat(documented).containsExactlyInAnyOrder("/v1/predict", "/v1/predict/batch", "/health/live",
                "/health/ready", "/metrics", "/openapi.json", "/admin/models/{version}/activate",
                "/admin/models/rollback", "/graphql", "/graphql/schema", "/graphql/ui", "/v1/feedback", "/admin/drift/run",
                "/admin/registry/promote", "/admin/experiment/share", "/ui", "/ui/", "/ui/vendor/", "/ui/api/live", "/ui/api/model",
                "/ui/api/drift", "/ui/api/training", "/v1/similar", "/v1/entities/{id}/similar", "/v2",
                "/v2/health/live", "/v2/health/ready", "/v2/models/{name}", "/v2/models/{name}/versions/{version}",
                "/v2/models/{name}/ready", "/v2/models/{name}/versions/{version}/ready", "/v2/models/{name}/infer",
                "/v2/models/{name}/versions/{version}/infer", "/v1/models/{name}/predict",
                "/v1/models/{name}/predict/batch", "/inference.GRPCInferenceService/{method}");
        assertThat(server.routes()).containsExactlyInAnyOrderElementsOf(documented);
    }
}
