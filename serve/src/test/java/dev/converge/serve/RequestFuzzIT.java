package dev.converge.serve;

import static org.assertj.core.api.Assertions.assertThat;

import dev.converge.serve.config.Resilience;
import dev.converge.serve.config.ServeConfig;
import dev.converge.testkit.FuzzInput;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Hostile request bodies against a live server, through decoding, online features, validation and scoring: never
 * a 5xx, and every refusal is a JSON error naming, for each problem, the field and the reason.
 */
class RequestFuzzIT {
    static Path work;
    static ServeFixture fixture;
    static PredictionServer server;
    static Vertx vertx;
    static WebClient http;

    @BeforeContainer
    static void start() throws Exception {
        work = Files.createTempDirectory("converge-fuzz");
        fixture = new ServeFixture(work);
        server = PredictionServer.start(ServeConfig.builder().port(0).eventLoops(1).scoringWorkers(1)
                .inlineScoringMaxMicros(50).batchMaxRows(100).bodyLimitBytes(64 * 1024).pgPoolSize(4)
                .resilience(Resilience.builder().redisUrl("none").breakerOpenSeconds(60).build())
                .build(), fixture.db.endpoint(), null)
                .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        ServeFixture.awaitModel(server);
        vertx = Vertx.vertx();
        http = WebClient.create(vertx, new WebClientOptions().setDefaultHost("127.0.0.1")
                .setDefaultPort(server.port()));
    }

    @AfterContainer
    static void stop() throws Exception {
        server.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        vertx.close();
        fixture.close();
    }

    @Provide
    Arbitrary<String> body() {
        List<String> keys = List.of("entity_id", "features", "rows", "annual_inc", "loan_amnt", "grade", "term",
                "int_rate", "emp_length", "home_ownership", "purpose", "dti");
        Arbitrary<String> json = FuzzInput.json(keys).map(Json::encode);
        Arbitrary<String> request = FuzzInput.json(keys).map(features -> new JsonObject()
                .put("entity_id", String.valueOf(features).length() % 3 == 0 ? "5" : null)
                .put("features", features).encode());
        return Arbitraries.oneOf(json, request, FuzzInput.text());
    }

    /** Refusals of the body as a whole: they name no field but the body. */
    static final Set<String> WHOLE_BODY = Set.of("empty_body", "malformed_json", "bad_batch_size", "body_too_large");

    @Property
    void noBodyIsAnsweredWithA5xxAndEveryRefusalNamesFieldAndReason(@ForAll("body") String body,
                                                                     @ForAll boolean batch) throws Exception {
        String sent = batch && body.startsWith("{") ? "{\"rows\": [" + body + ", " + body + "]}" : body;
        HttpResponse<Buffer> r = http.post(batch ? "/v1/predict/batch" : "/v1/predict").sendBuffer(Buffer.buffer(sent))
                .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);

        assertThat(r.statusCode()).as("%s -> %s", sent, r.bodyAsString()).isLessThan(500);
        JsonObject answer = r.bodyAsJsonObject();
        if (r.statusCode() >= 400) {
            String code = answer.getString("error");
            assertThat(code).isNotBlank();
            assertThat(answer.getString("message")).isNotBlank();
            JsonArray errors = answer.getJsonArray("errors");
            // A refusal of the body as a whole (not JSON, empty, not the batch's shape, too many rows) has no field
            // to name but the body, and its message says so; every other refusal lists each field with its reason.
            boolean wholeBody = WHOLE_BODY.contains(code) || batch && code.equals("bad_request") && errors == null;
            if (wholeBody) {
                assertThat(answer.getString("message")).as(r.bodyAsString()).containsPattern("body|batch");
            } else {
                assertThat(errors).as("%s -> %s: a refusal names each field and reason", sent, r.bodyAsString())
                        .isNotNull();
                assertThat(errors.isEmpty()).as(r.bodyAsString()).isFalse();
                errors.forEach(e -> {
                    assertThat(((JsonObject) e).getString("field")).as(r.bodyAsString()).isNotBlank();
                    assertThat(((JsonObject) e).getString("reason")).as(r.bodyAsString()).isNotBlank();
                });
            }
        } else if (batch && answer.containsKey("results")) {
            answer.getJsonArray("results").forEach(item -> {
                JsonObject i = (JsonObject) item;
                if (!i.getBoolean("ok")) {
                    assertThat(i.getJsonArray("errors")).isNotEmpty();
                }
            });
        }
    }
}
