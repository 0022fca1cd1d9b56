package dev.converge.serve;

import static org.assertj.core.api.Assertions.assertThat;

import dev.converge.contracts.FeatureSchema;
import dev.converge.contracts.FeatureSpec;
import dev.converge.contracts.FeatureType;
import dev.converge.contracts.FeatureVector;
import dev.converge.contracts.Temperature;
import dev.converge.contracts.VectorMetric;
import dev.converge.serve.config.Resilience;
import dev.converge.serve.config.ServeConfig;
import dev.converge.store.IngestOptions;
import dev.converge.store.Ingestor;
import dev.converge.store.impl.JsonLinesSource;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Similarity search over REST (issue 15) against the real store: the neighbours of an entity and of a vector, within
 * a feature set, with filters, the index's answer against brute force, and every bad parameter named.
 */
class SimilarityIT {
    static final int DIM = 8;
    static final int N = 400;
    @TempDir
    static Path work;
    static ServeFixture fixture;
    static PredictionServer server;
    static Vertx clientVertx;
    static WebClient http;
    static final Map<String, float[]> vectors = new HashMap<>();

    @BeforeAll
    static void start() throws Exception {
        fixture = new ServeFixture(work);
        FeatureSchema schema = new FeatureSchema(List.of(
                FeatureSpec.of("colour", FeatureType.CATEGORICAL, Temperature.HOT, false),
                FeatureSpec.vector("emb", DIM, VectorMetric.COSINE, false)));
        Random r = new Random(3);
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < N; i++) {
            float[] v = new float[DIM];
            for (int j = 0; j < DIM; j++) {
                v[j] = (float) r.nextGaussian();
            }
            vectors.put("d" + i, v);
            lines.add("{\"id\":\"d" + i + "\",\"colour\":\"" + (i % 2 == 0 ? "red" : "blue") + "\",\"emb\":"
                    + FeatureVector.of(v) + "}");
        }
        byte[] bytes = String.join("\n", lines).getBytes(StandardCharsets.UTF_8);
        new Ingestor(fixture.db).ingest(new JsonLinesSource(new ByteArrayInputStream(bytes), "docs.jsonl",
                bytes.length), schema, IngestOptions.of("id", null).withFeatureSet("docs"), null);
        ServeConfig config = ServeConfig.builder().port(0).eventLoops(1).scoringWorkers(1).inlineScoringMaxMicros(50)
                .batchMaxRows(100).bodyLimitBytes(64 * 1024).pgPoolSize(4).build();
        server = PredictionServer.start(config, fixture.db.endpoint(), null).toCompletionStage()
                .toCompletableFuture().get(30, TimeUnit.SECONDS);
        clientVertx = Vertx.vertx();
        http = WebClient.create(clientVertx, new WebClientOptions().setDefaultHost("127.0.0.1")
                .setDefaultPort(server.port()));
        ServeFixture.awaitModel(server);
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

    static List<String> exact(float[] q, int k, String leaveOut, Set<String> among) {
        return vectors.entrySet().stream().filter(e -> !e.getKey().equals(leaveOut) && among.contains(e.getKey()))
                .sorted(Comparator.comparingDouble(e -> VectorMetric.COSINE.distance(e.getValue(), q))).limit(k)
                .map(Map.Entry::getKey).toList();
    }

    static List<String> ids(JsonObject answer) {
        List<String> out = new ArrayList<>();
        for (Object n : answer.getJsonArray("neighbours")) {
            out.add(((JsonObject) n).getString("entity_id"));
        }
        return out;
    }

    @Test
    void anEntitysNeighboursAreTheNearestOthersOfItsFeatureSet() throws Exception {
        HttpResponse<Buffer> r = get("/v1/entities/d7/similar?feature=emb&k=5&feature_set=docs");
        assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
        JsonObject a = r.bodyAsJsonObject();
        assertThat(a.getString("metric")).isEqualTo("cosine");
        assertThat(a.getString("feature_set")).isEqualTo("docs");
        assertThat(ids(a)).hasSize(5).doesNotContain("d7")
                .containsExactlyElementsOf(exact(vectors.get("d7"), 5, "d7", vectors.keySet()));
        assertThat(a.getBoolean("exact")).isEqualTo(a.getString("search").equals("exact"));
        dev.converge.registry.VectorIndex.Support support;
        try (java.sql.Connection c = fixture.db.connection()) {
            support = dev.converge.registry.VectorIndex.detect(c);
        }
        if (support.indexed()) {
            // With pgvector present the index must answer: an index silently bypassed would compare brute force
            // with brute force and pass.
            assertThat(a.getString("search")).as("pgvector %s is installed", support.version()).isEqualTo("hnsw");
        } else {
            System.out.println("[SimilarityIT] " + support.describe() + ": the exact search is checked, the index"
                    + " cannot be");
        }
        if (!a.getBoolean("exact")) {
            assertThat(a.getInteger("ef_search")).isEqualTo(100);
        } else {
            assertThat(a.getString("why")).isNotBlank();
        }
        double d0 = a.getJsonArray("neighbours").getJsonObject(0).getDouble("distance");
        assertThat(d0).isCloseTo(VectorMetric.COSINE.distance(vectors.get(ids(a).get(0)), vectors.get("d7")),
                org.assertj.core.data.Offset.offset(1e-5));
    }

    @Test
    void aGivenVectorsNeighboursWithAFilterOnOtherFeatures() throws Exception {
        float[] q = vectors.get("d11").clone();
        q[0] += 0.1f;
        JsonObject body = new JsonObject().put("feature", "emb").put("vector", new JsonArray(toList(q))).put("k", 4)
                .put("feature_set", "docs").put("filter", new JsonObject().put("colour", "red"));
        HttpResponse<Buffer> r = post("/v1/similar", body.encode());
        assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
        Set<String> reds = new HashSet<>();
        vectors.keySet().stream().filter(id -> Integer.parseInt(id.substring(1)) % 2 == 0).forEach(reds::add);
        assertThat(ids(r.bodyAsJsonObject())).containsExactlyElementsOf(exact(q, 4, null, reds));
        body.remove("filter");
        assertThat(ids(post("/v1/similar", body.encode()).bodyAsJsonObject()).get(0)).isEqualTo("d11");
    }

    static List<Object> toList(float[] v) {
        List<Object> out = new ArrayList<>();
        for (float f : v) {
            out.add((double) f);
        }
        return out;
    }

    @Test
    void graphQlsEntitySimilarAnswersAsRestDoesWithTheNeighboursFeatures() throws Exception {
        String query = "{ entity(id: \"d7\", featureSet: \"docs\") { similar(feature: \"emb\", k: 5) { exact search"
                + " neighbours { distance entity { id features(temperature: HOT) } } } } }";
        HttpResponse<Buffer> r = post("/graphql", new JsonObject().put("query", query)
                .put("extensions", new JsonObject().put("statements", true)).encode());
        assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
        JsonObject body = r.bodyAsJsonObject();
        assertThat(body.getJsonArray("errors")).as(r.bodyAsString()).isNull();
        JsonArray neighbours = body.getJsonObject("data").getJsonObject("entity").getJsonObject("similar")
                .getJsonArray("neighbours");
        List<String> ids = new ArrayList<>();
        for (Object o : neighbours) {
            JsonObject entity = ((JsonObject) o).getJsonObject("entity");
            ids.add(entity.getString("id"));
            assertThat(entity.getJsonObject("features").getString("colour")).isIn("red", "blue");
        }
        assertThat(ids).containsExactlyElementsOf(exact(vectors.get("d7"), 5, "d7", vectors.keySet()));
        HttpResponse<Buffer> bad = post("/graphql", new JsonObject().put("query", "{ entity(id: \"d7\", featureSet:"
                + " \"docs\") { similar(feature: \"colour\") { exact } } }").encode());
        assertThat(bad.bodyAsJsonObject().getJsonArray("errors").getJsonObject(0).getJsonObject("extensions")
                .getString("code")).isEqualTo("not_a_vector");
        // k sizes the neighbours for the cost bound: a thousand neighbours' predictions is refused before any work.
        HttpResponse<Buffer> costly = post("/graphql", new JsonObject().put("query", "{ entity(id: \"d7\","
                + " featureSet: \"docs\") { similar(feature: \"emb\", k: 1000) { neighbours { entity { prediction {"
                + " value } } } } } }").encode());
        assertThat(costly.statusCode()).as(costly.bodyAsString()).isEqualTo(400);
        assertThat(costly.bodyAsString()).contains("serve.graphql.max_cost");
        // The vector is among the entity's cold features, as REST's online reads give it.
        HttpResponse<Buffer> cold = post("/graphql", new JsonObject().put("query", "{ entity(id: \"d7\", featureSet:"
                + " \"docs\") { features(temperature: COLD) } }").encode());
        assertThat(cold.bodyAsJsonObject().getJsonObject("data").getJsonObject("entity").getJsonObject("features")
                .getJsonArray("emb")).hasSize(DIM);
    }

    @Test
    void everyBadParameterIsNamedNeverA500() throws Exception {
        assertError(get("/v1/entities/d1/similar?feature=nope&feature_set=docs"), 404, "unknown_feature", "feature");
        assertError(get("/v1/entities/d1/similar?feature=colour&feature_set=docs"), 400, "not_a_vector", "feature");
        assertError(get("/v1/entities/d1/similar?feature=emb&k=0&feature_set=docs"), 400, "bad_request", "k");
        assertError(get("/v1/entities/d1/similar?feature=emb&k=ten"), 400, "bad_request", "k");
        assertError(get("/v1/entities/d1/similar?feature=emb&k=1001"), 400, "bad_request", "k");
        assertError(get("/v1/entities/d1/similar?feature=emb&ef_search=0"), 400, "bad_request", "ef_search");
        assertError(get("/v1/entities/d1/similar?k=3"), 400, "bad_request", "feature");
        assertError(get("/v1/entities/d1/similar?feature=emb&colour=red"), 400, "bad_request", "colour");
        assertError(get("/v1/entities/d1/similar?feature=emb&filter=%5B1%5D"), 400, "bad_request", "filter");
        assertError(get("/v1/entities/d1/similar?feature=emb"), 404, "no_vector", null);
        assertError(get("/v1/entities/nobody/similar?feature=emb&feature_set=docs"), 404, "no_vector", null);
        assertError(post("/v1/similar", "{\"feature\": \"emb\", \"vector\": [1, 2]}"), 422, "invalid_vector", "vector");
        assertError(post("/v1/similar", "{\"feature\": \"emb\", \"vector\": [1,2,3,4,5,6,7,\"8\"]}"), 422,
                "invalid_vector", "vector");
        assertError(post("/v1/similar", "{\"feature\": \"emb\"}"), 400, "bad_request", "vector");
        assertError(post("/v1/similar", "{\"feature\": \"emb\", \"vector\": [1,2,3,4,5,6,7,8], \"k\": 2.5}"), 400,
                "bad_request", "k");
        assertError(post("/v1/similar", "{\"feature\": \"emb\", \"vector\": [1,2,3,4,5,6,7,8], \"top\": 2}"), 400,
                "bad_request", "top");
        assertError(post("/v1/similar", "{\"feature\": \"emb\", \"vector\": [1,2,3,4,5,6,7,8], \"filter\": 3}"), 400,
                "bad_request", "filter");
        assertError(post("/v1/similar", "[1]"), 400, "bad_request", null);
        assertError(post("/v1/similar", "{\"feature\": "), 400, "malformed_json", null);
    }

    private static void assertError(HttpResponse<Buffer> r, int status, String code, String field) {
        assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(status);
        JsonObject body = r.bodyAsJsonObject();
        assertThat(body.getString("error")).as(r.bodyAsString()).isEqualTo(code);
        assertThat(body.getString("message")).isNotBlank();
        if (field != null) {
            Set<String> fields = new HashSet<>();
            for (Object e : body.getJsonArray("errors")) {
                fields.add(((JsonObject) e).getString("field"));
            }
            assertThat(fields).as(r.bodyAsString()).contains(field);
        }
    }
}
