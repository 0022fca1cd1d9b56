package dev.converge.serve;

import static org.assertj.core.api.Assertions.assertThat;

import dev.converge.serve.config.Resilience;
import dev.converge.serve.config.ServeConfig;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The Open Inference Protocol's REST routes against a real server: what a KServe or Triton client asks (server and
 * model metadata, readiness, infer on named tensors) is answered as the protocol says, by the same prediction path
 * as /v1 (the same numbers for the same rows), and bad tensors are refused with the input and the reason.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OpenInferenceIT {
    private Path work;
    private ServeFixture fixture;
    private PredictionServer server;
    private final HttpClient http = HttpClient.newHttpClient();
    private List<Map<String, Object>> reference;

    @BeforeAll
    void start() throws Exception {
        work = Files.createTempDirectory("oip");
        fixture = new ServeFixture(work);
        server = PredictionServer.start(ServeConfig.builder().port(0).eventLoops(1).scoringWorkers(1)
                .resilience(Resilience.builder().redisUrl("none").build()).build(), fixture.db.endpoint(), null)
                .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        reference = ServeFixture.awaitModel(server).referenceRows();
    }

    @AfterAll
    void stop() throws Exception {
        server.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        fixture.close();
    }

    private HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> post(String path, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** The first {@code n} reference rows as OIP input tensors, one per feature, typed as the metadata says. */
    private JsonArray tensors(int n) throws Exception {
        JsonArray inputs = new JsonArray();
        JsonObject meta = new JsonObject(get("/v2/models/credit_risk").body());
        for (Object o : meta.getJsonArray("inputs")) {
            JsonObject in = (JsonObject) o;
            String name = in.getString("name");
            if (name.equals("entity_id")) {
                continue;
            }
            JsonArray data = new JsonArray();
            for (int i = 0; i < n; i++) {
                data.add(reference.get(i).get(name));
            }
            inputs.add(new JsonObject().put("name", name).put("datatype", in.getString("datatype"))
                    .put("shape", new JsonArray().add(n)).put("data", data));
        }
        return inputs;
    }

    @Test
    void serverMetadataLivenessAndReadiness() throws Exception {
        JsonObject meta = new JsonObject(get("/v2").body());
        assertThat(meta.getString("name")).isEqualTo("converge");
        assertThat(meta.getString("version")).isNotBlank();
        assertThat(get("/v2/health/live").statusCode()).isEqualTo(200);
        HttpResponse<String> ready = get("/v2/health/ready");
        assertThat(ready.statusCode()).isEqualTo(200);
        assertThat(new JsonObject(ready.body()).getBoolean("ready")).isTrue();
        HttpResponse<String> model = get("/v2/models/credit_risk/ready");
        assertThat(model.statusCode()).isEqualTo(200);
        assertThat(new JsonObject(model.body()).getBoolean("ready")).isTrue();
        assertThat(get("/v2/models/credit_risk/versions/1/ready").statusCode()).isEqualTo(200);
        assertThat(get("/v2/models/credit_risk/versions/2/ready").statusCode()).as("v2 is not served").isEqualTo(503);
    }

    @Test
    void modelMetadataNamesEveryFeatureAsATensorWithItsDatatype() throws Exception {
        HttpResponse<String> r = get("/v2/models/credit_risk");
        assertThat(r.statusCode()).isEqualTo(200);
        JsonObject meta = new JsonObject(r.body());
        assertThat(meta.getString("name")).isEqualTo("credit_risk");
        assertThat(meta.getJsonArray("versions").getList()).containsExactly("1");
        Map<String, String> types = new java.util.HashMap<>();
        meta.getJsonArray("inputs").forEach(o -> types.put(((JsonObject) o).getString("name"),
                ((JsonObject) o).getString("datatype")));
        assertThat(types).containsEntry("funded_amnt", "FP64").containsEntry("term", "BYTES")
                .containsEntry("entity_id", "BYTES");
        assertThat(types).hasSize(server.activeModel().schema().features().size() + 1);
        JsonObject probabilities = null;
        for (int i = 0; i < meta.getJsonArray("outputs").size(); i++) {
            JsonObject o = meta.getJsonArray("outputs").getJsonObject(i);
            if (o.getString("name").equals("probabilities")) {
                probabilities = o;
            }
        }
        assertThat(probabilities).as("a classifier has a probabilities output").isNotNull();
        assertThat(probabilities.getJsonArray("shape").getList()).containsExactly(-1, 2);
        assertThat(get("/v2/models/credit_risk/versions/1").statusCode()).isEqualTo(200);
        HttpResponse<String> other = get("/v2/models/credit_risk/versions/7");
        assertThat(other.statusCode()).isEqualTo(404);
        assertThat(new JsonObject(other.body()).getString("error")).contains("serves v1");
        HttpResponse<String> unknown = get("/v2/models/churn");
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(new JsonObject(unknown.body()).getString("error")).contains("'churn'").contains("credit_risk");
    }

    @Test
    void inferAnswersTheSameNumbersAsTheRestBatchRouteForTheSameRows() throws Exception {
        int n = 3;
        HttpResponse<String> r = post("/v2/models/credit_risk/infer", new JsonObject().put("id", "req-1")
                .put("inputs", tensors(n)).encode());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonObject answer = new JsonObject(r.body());
        assertThat(answer.getString("model_name")).isEqualTo("credit_risk");
        assertThat(answer.getString("model_version")).isEqualTo("1");
        assertThat(answer.getString("id")).isEqualTo("req-1");
        Map<String, JsonObject> outputs = new java.util.HashMap<>();
        answer.getJsonArray("outputs").forEach(o -> outputs.put(((JsonObject) o).getString("name"), (JsonObject) o));
        assertThat(outputs).containsOnlyKeys("predict", "probabilities", "prediction_id", "model_version");
        assertThat(outputs.get("predict").getJsonArray("shape").getList()).containsExactly(n);
        assertThat(outputs.get("probabilities").getJsonArray("shape").getList()).containsExactly(n, 2);

        JsonArray rows = new JsonArray();
        for (int i = 0; i < n; i++) {
            rows.add(new JsonObject().put("features", new JsonObject(new java.util.LinkedHashMap<>(reference.get(i)))));
        }
        JsonObject rest = new JsonObject(post("/v1/predict/batch", new JsonObject().put("rows", rows).encode())
                .body());
        List<String> classes = List.of(outputs.get("probabilities").getJsonObject("parameters")
                .getString("classes").split(","));
        for (int i = 0; i < n; i++) {
            JsonObject row = rest.getJsonArray("results").getJsonObject(i);
            assertThat(outputs.get("predict").getJsonArray("data").getValue(i)).isEqualTo(row.getValue("prediction"));
            for (int c = 0; c < classes.size(); c++) {
                assertThat(outputs.get("probabilities").getJsonArray("data").getDouble(i * classes.size() + c))
                        .isEqualTo(row.getJsonObject("probabilities").getDouble(classes.get(c)));
            }
        }
    }

    @Test
    void anEntityIdTensorScoresTheStoredFeaturesAsV1Does() throws Exception {
        JsonObject body = new JsonObject().put("inputs", new JsonArray().add(new JsonObject().put("name", "entity_id")
                .put("datatype", "BYTES").put("shape", new JsonArray().add(2)).put("data", new JsonArray().add("5")
                        .add("6"))));
        HttpResponse<String> r = post("/v2/models/credit_risk/infer", body.encode());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonObject predict = new JsonObject(r.body()).getJsonArray("outputs").getJsonObject(0);
        for (int i = 0; i < 2; i++) {
            JsonObject one = new JsonObject(post("/v1/predict", "{\"entity_id\": \"" + (5 + i) + "\"}").body());
            assertThat(predict.getJsonArray("data").getValue(i)).isEqualTo(one.getValue("prediction"));
        }
    }

    @Test
    void askedOutputsAreTheOnlyOnesAnswered() throws Exception {
        HttpResponse<String> r = post("/v2/models/credit_risk/versions/1/infer", new JsonObject()
                .put("inputs", tensors(1)).put("outputs", new JsonArray().add(new JsonObject().put("name",
                        "prediction_id"))).encode());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonArray outputs = new JsonObject(r.body()).getJsonArray("outputs");
        assertThat(outputs).hasSize(1);
        assertThat(outputs.getJsonObject(0).getString("name")).isEqualTo("prediction_id");
    }

    @Test
    void badTensorsAreRefusedWithTheInputAndTheReason() throws Exception {
        JsonArray good = tensors(2);
        Map<JsonArray, String> cases = new java.util.LinkedHashMap<>();
        cases.put(replace(good, "funded_amnt", t -> t.put("datatype", "BYTES")),
                "input 'funded_amnt' is a numeric feature: its datatype must be a numeric datatype");
        cases.put(replace(good, "funded_amnt", t -> t.put("data", new JsonArray().add(1000).add("2000"))),
                "input 'funded_amnt': data[1] is a string, not a FP64 element");
        cases.put(replace(good, "term", t -> t.put("data", new JsonArray().add("term_36").add(36))),
                "input 'term': data[1] is the number 36, not a BYTES element");
        cases.put(replace(good, "funded_amnt", t -> t.put("shape", new JsonArray().add(3))),
                "input 'funded_amnt': shape [3] holds 3 elements, data has 2");
        cases.put(replace(good, "funded_amnt", t -> t.put("shape", new JsonArray().add(2).add(2))),
                "input 'funded_amnt': shape must be [N] or [N, 1]");
        cases.put(replace(good, "funded_amnt", t -> t.put("name", "funded")),
                "input 'funded' is not a feature of model 'credit_risk' v1");
        cases.put(replace(good, "funded_amnt", t -> t.put("datatype", "FP128")),
                "input 'funded_amnt': datatype must be one of");
        cases.put(replace(good, "funded_amnt", t -> t.put("data", new JsonArray().add(1000).addNull())),
                "data[1] is null, not a FP64 element (a tensor holds no nulls");
        cases.put(replace(good, "term", t -> t.put("shape", new JsonArray().add(1)).put("data",
                new JsonArray().add("term_36"))), "input 'term' has 1 rows, the inputs before it 2");
        cases.put(new JsonArray(), "\"inputs\" must be a non-empty array");
        for (Map.Entry<JsonArray, String> c : cases.entrySet()) {
            HttpResponse<String> r = post("/v2/models/credit_risk/infer", new JsonObject().put("inputs", c.getKey())
                    .encode());
            assertThat(r.statusCode()).as(c.getValue() + ": " + r.body()).isEqualTo(400);
            assertThat(new JsonObject(r.body()).getString("error")).as(r.body()).contains(c.getValue());
        }
        Map<String, String> bodies = Map.of("{\"inputs\": ", "the body is not valid JSON",
                "[1, 2]", "the request body must be a JSON object",
                new JsonObject().put("inputs", good).put("outputs", new JsonArray().add(new JsonObject()
                        .put("name", "shap"))).encode(), "outputs[0] must name one of");
        for (Map.Entry<String, String> c : bodies.entrySet()) {
            HttpResponse<String> r = post("/v2/models/credit_risk/infer", c.getKey());
            assertThat(r.statusCode()).as(c.getValue() + ": " + r.body()).isEqualTo(400);
            assertThat(new JsonObject(r.body()).getString("error")).as(r.body()).contains(c.getValue());
        }
        // A row that breaks the contract refuses the request, naming the row and the reason.
        HttpResponse<String> onlyOne = post("/v2/models/credit_risk/infer", new JsonObject().put("inputs",
                new JsonArray().add(new JsonObject().put("name", "funded_amnt").put("datatype", "FP64")
                        .put("shape", new JsonArray().add(1)).put("data", new JsonArray().add(1000)))).encode());
        assertThat(onlyOne.statusCode()).as(onlyOne.body()).isEqualTo(400);
        assertThat(new JsonObject(onlyOne.body()).getString("error"))
                .contains("1 of 1 rows could not be scored: row 0:").contains("term");
        // What is scored other than as sent is said: a level the model never saw is scored as missing, and named.
        HttpResponse<String> unseen = post("/v2/models/credit_risk/infer", new JsonObject().put("inputs",
                replace(good, "term", t -> t.put("data", new JsonArray().add("term_36").add("term_99")))).encode());
        assertThat(unseen.statusCode()).as(unseen.body()).isEqualTo(200);
        assertThat(new JsonObject(unseen.body()).getJsonObject("parameters").getString("warnings"))
                .contains("row 1:").contains("term_99");
        assertThat(post("/v2/models/credit_risk/infer", new JsonObject().put("inputs", good).encode()).statusCode())
                .isEqualTo(200);
        // Parameters converge does not read are said, not dropped unsaid.
        JsonArray hinted = replace(good, "term", t -> t.put("parameters", new JsonObject().put("content_type", "str")));
        HttpResponse<String> withParameters = post("/v2/models/credit_risk/infer", new JsonObject()
                .put("inputs", hinted).put("parameters", new JsonObject().put("priority", 1)).encode());
        assertThat(withParameters.statusCode()).as(withParameters.body()).isEqualTo(200);
        assertThat(new JsonObject(withParameters.body()).getJsonObject("parameters").getString("warnings"))
                .contains("parameters.priority was ignored").contains(".parameters.content_type was ignored");
    }

    private static JsonArray replace(JsonArray inputs, String name,
                                     java.util.function.Function<JsonObject, JsonObject> change) {
        JsonArray out = new JsonArray();
        for (Object o : inputs) {
            JsonObject t = ((JsonObject) o).copy();
            out.add(t.getString("name").equals(name) ? change.apply(t) : t);
        }
        return out;
    }

    @Test
    void aPinnedVersionThatIsNotDeployedIsRefusedNamingWhy() throws Exception {
        HttpResponse<String> r = post("/v2/models/credit_risk/versions/2/infer", new JsonObject()
                .put("inputs", tensors(1)).encode());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
        assertThat(new JsonObject(r.body()).getString("error")).contains("row 0:").contains("pinning");
    }

    @Test
    void theDocumentedExampleRunsAsWritten() throws Exception {
        String doc = Files.readString(ServeFixture.ROOT.resolve("docs/open-inference.md"));
        int start = doc.indexOf("-d '") + 4;
        String body = doc.substring(start, doc.indexOf("'", start));
        HttpResponse<String> r = post("/v2/models/credit_risk/infer", body);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(new JsonObject(r.body()).getJsonArray("outputs").getJsonObject(0).getJsonArray("data")).hasSize(2);
    }
}
