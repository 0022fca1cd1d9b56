package dev.converge.cli;

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
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 15 end to end, through the commands a user runs: a JSON Lines file with an embedding is ingested with an
 * inferred schema (the arrays become a vector feature), a pipeline with a reduce block trains on it (PCA in front of
 * the model, both exported and registered), and the server loads both MOJOs, verifies them against the reference
 * rows, and answers predictions from the stored vector and from one in the request, and similarity searches.
 */
class ReducedVectorModelIT {
    static final TestSchema SCHEMA = new TestSchema("rv_");
    static final String URL = SCHEMA.url;
    @TempDir
    static Path work;

    @BeforeAll
    static void schema() throws Exception {
        SCHEMA.create();
    }

    @AfterAll
    static void drop() throws Exception {
        SCHEMA.drop();
    }

    static List<Object> embedding(double[] f, SplittableRandom rnd) {
        List<Object> e = new ArrayList<>();
        for (int j = 0; j < 16; j++) {
            e.add(f[j % 4] * (1 + j / 4) + rnd.nextGaussian() * 0.01);
        }
        return e;
    }

    @Test
    void aPipelineWithReduceTrainsOnAnEmbeddingAndTheServerChainsBothMojos() throws Exception {
        SplittableRandom rnd = new SplittableRandom(17);
        StringBuilder jsonl = new StringBuilder();
        for (int i = 0; i < 1500; i++) {
            double[] f = {rnd.nextGaussian(), rnd.nextGaussian(), rnd.nextGaussian(), rnd.nextGaussian()};
            jsonl.append(new JsonObject().put("id", "e" + i).put("amount", rnd.nextDouble() * 100)
                    .put("emb", new JsonArray(embedding(f, rnd))).put("y", f[0] + f[3] > 0 ? "yes" : "no").encode())
                    .append('\n');
        }
        Path data = work.resolve("embeddings.jsonl");
        Files.writeString(data, jsonl, StandardCharsets.UTF_8);
        CliTest.Run ingest = CliTest.run("ingest", data.toString(), "--infer-schema", "--entity-column", "id",
                "--feature-set", "emb", "--database-url", URL);
        assertThat(ingest.exit()).as(ingest.err() + ingest.out()).isZero();
        assertThat(ingest.out()).contains("1,500 accepted", "Vector features: ");

        Path pipeline = work.resolve("reduced.yaml");
        Files.writeString(pipeline, """
                name: reduced
                model: reduced_model
                blocks:
                  - {id: load, type: pit_loader, label: y, feature_set: emb}
                  - {id: table, type: to_table}
                  - {id: split, type: random_split, ratio: 0.8, seed: 1}
                  - {id: reduce, type: reduce, columns: [emb], variance: 0.99}
                  - id: sweep
                    type: fan_out
                    matrix:
                      - {algorithm: glm, params: {}}
                  - {id: best, type: best_run, metric: auc}
                  - {id: export, type: export, artifacts: %s, auto_promote: {margin: 0.0}}
                """.formatted(work.resolve("artifacts")));
        String[] trainArgs = {"train", "--pipeline", pipeline.toString(), "--database-url", URL};
        TrainCommand.parentArgs = trainArgs; // as Main sets them: the training JVM is started with the same arguments
        CliTest.Run train = CliTest.run(trainArgs);
        assertThat(train.exit()).as(train.err() + train.out()).isZero();
        try (var c = java.sql.DriverManager.getConnection(URL); var rs = c.createStatement().executeQuery(
                "SELECT metrics->'reducer'->>'method', jsonb_array_length(metrics->'reducer'->'outputs'),"
                        + " metrics->'reducer'->>'artifact_sha256' FROM model_versions WHERE name = 'reduced_model'")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getString(1)).isEqualTo("pca");
            assertThat(rs.getInt(2)).as("16 columns from 4 factors: 4 components keep 99%").isEqualTo(4);
            assertThat(rs.getString(3)).hasSize(64);
        }

        ServeConfig config = ServeConfig.builder().port(0).model("reduced_model").eventLoops(1).scoringWorkers(1)
                .inlineScoringMaxMicros(50).batchMaxRows(100).pgPoolSize(4)
                .resilience(Resilience.builder().redisUrl("none").breakerOpenSeconds(60).build()).build();
        PredictionServer server = PredictionServer.start(config, new PgEndpoint(URL, null, null, null), null)
                .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        HttpClient http = HttpClient.newHttpClient();
        try {
            var ready = server.awaitReady(java.time.Duration.ofSeconds(60)).toCompletionStage().toCompletableFuture()
                    .get(70, TimeUnit.SECONDS);
            assertThat(ready.ready()).as("both MOJOs loaded and verified: " + ready.reason()).isTrue();
            JsonObject stored = post(http, server, "/v1/predict", new JsonObject().put("entity_id", "e3"));
            assertThat(stored.getString("prediction")).isIn("yes", "no");
            // The same vector sent in the request scores as the stored one: e3's row as the server reads it (hot,
            // cold and the vector from real[]), sent inline without the entity, answers the same to the last digit.
            JsonObject row;
            try (var c = java.sql.DriverManager.getConnection(URL); var q = c.prepareStatement("SELECT (hot ||"
                    + " coalesce(cold, '{}'::jsonb) || coalesce(v, '{}'::jsonb))::text FROM feature_online o, LATERAL "
                    + dev.converge.registry.VectorIndex.vectorsOf("o") + " AS vec(v) WHERE entity_id = ?")) {
                q.setString(1, dev.converge.contracts.EntityId.key("emb", "e3"));
                try (var rs = q.executeQuery()) {
                    assertThat(rs.next()).isTrue();
                    row = new JsonObject(rs.getString(1));
                }
            }
            row.remove("y"); // the label, not a feature
            assertThat(row.getJsonArray("emb")).as("the stored vector").hasSize(16);
            JsonObject inline = post(http, server, "/v1/predict", new JsonObject().put("features", row));
            assertThat(inline.getString("prediction")).as(inline.encode()).isEqualTo(stored.getString("prediction"));
            assertThat(inline.getJsonObject("probabilities")).as(inline.encode())
                    .isEqualTo(stored.getJsonObject("probabilities"));
            JsonObject online = new JsonObject(get(http, server, "/v1/entities/e3/similar?feature=emb&k=1"
                    + "&feature_set=emb"));
            assertThat(online.getJsonArray("neighbours")).hasSize(1);
            double[] up = {3, 0, 0, 3};
            double[] down = {-3, 0, 0, -3};
            JsonObject yes = post(http, server, "/v1/predict", new JsonObject().put("features", new JsonObject()
                    .put("amount", 50.0).put("emb", new JsonArray(embedding(up, new SplittableRandom(1))))));
            JsonObject no = post(http, server, "/v1/predict", new JsonObject().put("features", new JsonObject()
                    .put("amount", 50.0).put("emb", new JsonArray(embedding(down, new SplittableRandom(1))))));
            assertThat(yes.getString("prediction")).as(yes.encode()).isEqualTo("yes");
            assertThat(no.getString("prediction")).as(no.encode()).isEqualTo("no");
            HttpResponse<String> wrong = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                    + server.port() + "/v1/predict")).header("content-type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"features\": {\"amount\": 1, \"emb\": [1, 2]}}"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertThat(wrong.statusCode()).as(wrong.body()).isEqualTo(422);
            assertThat(wrong.body()).contains("wrong_dimension", "emb");
            // The prediction log keeps the vectors as sent (a FeatureVector once failed its JSON encoding): the four
            // scored answers above (e3 stored, e3 inline, yes, no).
            try (var c = java.sql.DriverManager.getConnection(URL)) {
                long deadline = System.currentTimeMillis() + 10_000;
                long logged = 0;
                while (logged < 4 && System.currentTimeMillis() < deadline) {
                    Thread.sleep(100);
                    try (var rs = c.createStatement().executeQuery("SELECT count(*) FROM prediction_log"
                            + " WHERE jsonb_array_length(features->'emb') = 16")) {
                        rs.next();
                        logged = rs.getLong(1);
                    }
                }
                assertThat(logged).isEqualTo(4);
            }
        } finally {
            server.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
    }

    static JsonObject post(HttpClient http, PredictionServer server, String path, JsonObject body) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port()
                + path)).header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString(
                body.encode())).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return new JsonObject(r.body());
    }

    static String get(HttpClient http, PredictionServer server, String path) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port()
                + path)).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return r.body();
    }
}
