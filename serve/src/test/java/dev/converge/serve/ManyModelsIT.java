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
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Several models in one server (serve.models): each is loaded, verified and followed on its own, answers at
 * /v1/models/{name}/predict and /v2/models/{name}/infer, and a promotion of one swaps that one only.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@org.junit.jupiter.api.TestMethodOrder(org.junit.jupiter.api.MethodOrderer.OrderAnnotation.class)
class ManyModelsIT {
    private ServeFixture fixture;
    private PredictionServer server;
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    void start() throws Exception {
        Path work = Files.createTempDirectory("models");
        fixture = new ServeFixture(work);
        fixture.register(work, "xgboost", "risk_xgb"); // risk_xgb v1
        fixture.register(work, "glm", "risk_xgb"); // risk_xgb v2
        fixture.registry.promote("risk_xgb", 1, "test", "the second model's champion");
        server = PredictionServer.start(ServeConfig.builder().port(0).eventLoops(1).scoringWorkers(1)
                        .models(List.of("credit_risk", "risk_xgb"))
                        .resilience(Resilience.builder().redisUrl("none").build()).build(), fixture.db.endpoint(),
                null).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        long deadline = System.currentTimeMillis() + 60_000;
        while (!server.readiness().ready() && System.currentTimeMillis() < deadline) {
            Thread.sleep(50);
        }
        assertThat(server.readiness().ready()).as(server.readiness().reason()).isTrue();
    }

    @AfterAll
    void stop() throws Exception {
        server.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        fixture.close();
    }

    private HttpResponse<String> send(String method, String path, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .header("content-type", "application/json").method(method, body == null
                        ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void eachModelAnswersUnderItsOwnNameAndV1PredictAsksWhichOne() throws Exception {
        String body = "{\"entity_id\": \"7\"}";
        HttpResponse<String> unnamed = send("POST", "/v1/predict", body);
        assertThat(unnamed.statusCode()).as("several served: the server does not choose").isEqualTo(400);
        assertThat(new JsonObject(unnamed.body()).getString("error")).isEqualTo("model_required");
        assertThat(new JsonObject(unnamed.body()).getString("message")).contains("credit_risk", "risk_xgb");
        HttpResponse<String> unknownInBody = send("POST", "/v1/predict", "{\"model\": \"churn\", \"entity_id\":"
                + " \"7\"}");
        assertThat(unknownInBody.statusCode()).isEqualTo(404);
        assertThat(send("POST", "/v1/predict/batch", "{\"rows\": [{\"entity_id\": \"7\"}]}").statusCode())
                .isEqualTo(400);
        JsonObject namedBatch = new JsonObject(send("POST", "/v1/predict/batch", "{\"model\": \"risk_xgb\", \"rows\":"
                + " [{\"entity_id\": \"7\"}]}").body());
        assertThat(namedBatch.getJsonObject("model").getString("name")).isEqualTo("risk_xgb");
        JsonObject byDefault = new JsonObject(send("POST", "/v1/predict", "{\"model\": \"credit_risk\","
                + " \"entity_id\": \"7\"}").body());
        assertThat(byDefault.getJsonObject("model").getString("name")).isEqualTo("credit_risk");
        HttpResponse<String> other = send("POST", "/v1/models/risk_xgb/predict", body);
        assertThat(other.statusCode()).as(other.body()).isEqualTo(200);
        JsonObject xgb = new JsonObject(other.body());
        assertThat(xgb.getJsonObject("model").getString("name")).isEqualTo("risk_xgb");
        assertThat(xgb.getJsonObject("model").getInteger("version")).isEqualTo(1);
        assertThat(xgb.getJsonObject("probabilities")).as("a different model, different numbers")
                .isNotEqualTo(byDefault.getJsonObject("probabilities"));
        JsonObject named = new JsonObject(send("POST", "/v1/models/credit_risk/predict", body).body());
        assertThat(named.getJsonObject("probabilities")).isEqualTo(byDefault.getJsonObject("probabilities"));
        HttpResponse<String> batch = send("POST", "/v1/models/risk_xgb/predict/batch",
                "{\"rows\": [{\"entity_id\": \"7\"}, {\"entity_id\": \"8\"}]}");
        assertThat(new JsonObject(batch.body()).getJsonObject("model").getString("name")).isEqualTo("risk_xgb");
        HttpResponse<String> unknown = send("POST", "/v1/models/churn/predict", body);
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(new JsonObject(unknown.body()).getString("message")).contains("'churn'")
                .contains("[credit_risk, risk_xgb]");
    }

    @Test
    void patternsInServeModelsAreTheRegistrysModelsWithAChampionAndOneMatchingNoneRefusesTheStart() {
        ServeConfig patterns = ServeConfig.builder().port(0).model("*_xgb").models(List.of("*_xgb", "credit_*",
                "risk_xgb")).build();
        ServeConfig expanded = PredictionServer.withPatternsExpanded(patterns, fixture.db.endpoint());
        assertThat(expanded.models()).containsExactly("risk_xgb", "credit_risk");
        assertThat(expanded.model()).as("the first model is the default").isEqualTo("risk_xgb");
        assertThat(PredictionServer.withPatternsExpanded(ServeConfig.builder().port(0).model("credit_risk").build(),
                fixture.db.endpoint()).models()).containsExactly("credit_risk");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> PredictionServer.withPatternsExpanded(
                ServeConfig.builder().port(0).model("churn_*").models(List.of("churn_*")).build(),
                fixture.db.endpoint())).hasMessageContaining("'churn_*' matches no model with a champion")
                .hasMessageContaining("[credit_risk, risk_xgb]");
    }

    @Test
    void theOpenInferenceProtocolSeesEveryModel() throws Exception {
        assertThat(send("GET", "/v2/models/risk_xgb/ready", null).statusCode()).isEqualTo(200);
        JsonObject meta = new JsonObject(send("GET", "/v2/models/risk_xgb", null).body());
        assertThat(meta.getJsonArray("versions").getList()).containsExactly("1");
        HttpResponse<String> infer = send("POST", "/v2/models/risk_xgb/infer", new JsonObject().put("inputs",
                new JsonArray().add(new JsonObject().put("name", "entity_id").put("datatype", "BYTES")
                        .put("shape", new JsonArray().add(1)).put("data", new JsonArray().add("7")))).encode());
        assertThat(infer.statusCode()).as(infer.body()).isEqualTo(200);
        assertThat(new JsonObject(infer.body()).getString("model_name")).isEqualTo("risk_xgb");
        JsonObject ready = new JsonObject(send("GET", "/health/ready", null).body());
        assertThat(ready.getJsonObject("models").fieldNames()).containsExactly("credit_risk", "risk_xgb");
    }

    @Test
    @org.junit.jupiter.api.Order(Integer.MAX_VALUE) // the others see the champions of the start
    void promotingOneModelSwapsThatOneOnly() throws Exception {
        fixture.registry.promote("risk_xgb", 2, "test", "swap the second model");
        long deadline = System.currentTimeMillis() + 15_000;
        int version = 1;
        while (version != 2 && System.currentTimeMillis() < deadline) {
            version = new JsonObject(send("POST", "/v1/models/risk_xgb/predict", "{\"entity_id\": \"7\"}").body())
                    .getJsonObject("model").getInteger("version");
            Thread.sleep(50);
        }
        assertThat(version).as("risk_xgb followed its champion").isEqualTo(2);
        assertThat(new JsonObject(send("POST", "/v1/predict", "{\"model\": \"credit_risk\", \"entity_id\": \"7\"}")
                .body()).getJsonObject("model").getInteger("version")).as("credit_risk is untouched").isEqualTo(1);
    }
}
