package dev.converge.serve;

import dev.converge.serve.config.GraphQlSettings;
import static org.assertj.core.api.Assertions.assertThat;

import dev.converge.contracts.FeatureSchema;
import dev.converge.serve.config.Resilience;
import dev.converge.serve.config.ServeConfig;
import dev.converge.serve.graphql.GraphQlEngine;
import dev.converge.store.IngestOptions;
import dev.converge.store.Ingestor;
import dev.converge.store.SchemaProposal;
import dev.converge.store.impl.CsvSource;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** GraphQL against a live server on real PostgreSQL: batching, bounds, the JSON scalar and parity with REST. */
class GraphQlIT {
    @TempDir
    static Path work;
    static ServeFixture fixture;
    static PredictionServer server;
    static Vertx clientVertx;
    static WebClient http;
    /** A GraphQL endpoint whose Entity.features resolver reads per entity, without a loader (what must be caught). */
    static final AtomicReference<Handler<RoutingContext>> naive = new AtomicReference<>();
    /** A GraphQL endpoint whose Entity.features never answers (what the per-request timeout is for). */
    static final AtomicReference<Handler<RoutingContext>> stuck = new AtomicReference<>();

    @BeforeAll
    static void start() throws Exception {
        fixture = new ServeFixture(work);
        GraphQlSettings d = GraphQlSettings.DEFAULTS;
        ServeConfig config = ServeConfig.builder().port(0).eventLoops(1).scoringWorkers(2).inlineScoringMaxMicros(50)
                .batchMaxRows(100).bodyLimitBytes(256 * 1024).pgPoolSize(4)
                .resilience(Resilience.builder().redisUrl("none").breakerOpenSeconds(60).build())
                .graphql(new GraphQlSettings(d.maxDepth(), d.maxCost(), d.maxAliases(), d.maxDocumentBytes(),
                        d.maxIds(), d.maxLimit(), true, 1500, d.weights()))
                .build();
        server = PredictionServer.start(config, fixture.db.endpoint(), router -> {
            router.post("/test/naive-graphql").handler(ctx -> naive.get().handle(ctx));
            router.post("/test/stuck-graphql").handler(ctx -> stuck.get().handle(ctx));
        }).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        stuck.set(server.graphQlWith(Map.of("Entity.features", store -> env ->
                new java.util.concurrent.CompletableFuture<>())));
        naive.set(server.graphQlWith(Map.of("Entity.features", store -> env -> {
            String key = ((dev.converge.serve.graphql.EntityRef) env.getSource()).key();
            return store.latest(List.of(key)).map(found -> found.get(key) == null ? null : found.get(key).hot())
                    .toCompletionStage();
        })));
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
    }

    /**
     * The engine is built after the first model's load, not before readiness: a server whose model has no champion
     * (so it never becomes ready) still builds it and answers GraphQL, and its schema is served.
     */
    @Test
    void graphQlIsBuiltAfterTheFirstLoadEvenWhenNoModelIsReady() throws Exception {
        ServeConfig config = ServeConfig.builder().port(0).model("no_such_model").eventLoops(1).scoringWorkers(2)
                .inlineScoringMaxMicros(50).batchMaxRows(100).bodyLimitBytes(256 * 1024).pgPoolSize(4)
                .resilience(Resilience.builder().redisUrl("none").breakerOpenSeconds(60).build()).build();
        PredictionServer idle = PredictionServer.start(config, fixture.db.endpoint(), null).toCompletionStage()
                .toCompletableFuture().get(30, TimeUnit.SECONDS);
        WebClient client = WebClient.create(clientVertx, new WebClientOptions().setDefaultHost("127.0.0.1")
                .setDefaultPort(idle.port()));
        try {
            HttpResponse<Buffer> r = client.post("/graphql").putHeader("content-type", "application/json")
                    .sendBuffer(Buffer.buffer("{\"query\": \"{ __typename }\"}")).toCompletionStage()
                    .toCompletableFuture().get(20, TimeUnit.SECONDS);
            assertThat(idle.readiness().ready()).isFalse();
            assertThat(idle.readiness().reason()).as("what to run").contains("has no version in the registry: train"
                    + " one (converge train PIPELINE)");
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.bodyAsJsonObject().getJsonObject("data").getString("__typename")).isEqualTo("Query");
            HttpResponse<Buffer> sdl = client.get("/graphql/schema").send().toCompletionStage().toCompletableFuture()
                    .get(20, TimeUnit.SECONDS);
            assertThat(sdl.statusCode()).isEqualTo(200);
            assertThat(sdl.bodyAsString()).contains("type Query");
        } finally {
            client.close();
            idle.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
    }

    static HttpResponse<Buffer> post(String path, String body) throws Exception {
        return http.post(path).putHeader("content-type", "application/json").sendBuffer(Buffer.buffer(body))
                .toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
    }

    static JsonObject graphql(String query, JsonObject variables) throws Exception {
        JsonObject body = new JsonObject().put("query", query).put("extensions", new JsonObject().put("statements",
                true));
        if (variables != null) {
            body.put("variables", variables);
        }
        HttpResponse<Buffer> r = post("/graphql", body.encode());
        assertThat(r.statusCode()).as(r.bodyAsString()).isIn(200, 400);
        return r.bodyAsJsonObject().put("status", r.statusCode());
    }

    static String ids(int n) {
        return IntStream.rangeClosed(1, n).mapToObj(i -> "\"" + i + "\"").collect(Collectors.joining(", ", "[", "]"));
    }

    static final String ENTITIES = "{ entities(ids: %s) { id features(temperature: HOT) history(limit: 3) {"
            + " eventTimestamp features } prediction { value probabilities degraded model { name version } } } }";

    @ParameterizedTest
    @ValueSource(ints = {1, 10, 50})
    void entitiesCostOneStatementPerRelationWhateverTheirNumber(int n) throws Exception {
        JsonObject answer = graphql(ENTITIES.formatted(ids(n)), null);

        assertThat(answer.getJsonArray("errors")).as(answer.encode()).isNull();
        JsonArray entities = answer.getJsonObject("data").getJsonArray("entities");
        assertThat(entities).hasSize(n);
        for (int i = 0; i < n; i++) {
            JsonObject e = entities.getJsonObject(i);
            assertThat(e.getString("id")).isEqualTo(Integer.toString(i + 1));
            assertThat(e.getJsonObject("features")).isNotEmpty();
            assertThat(e.getJsonArray("history")).isNotEmpty();
            assertThat(e.getJsonObject("prediction").getValue("value")).isIn("good", "bad");
        }
        JsonObject statements = answer.getJsonObject("extensions").getJsonObject("statements");
        assertThat(statements.getJsonObject("by_field").getMap()).as(statements.encode())
                .isEqualTo(Map.of("online features", 1, "feature history", 1, "predictions", 1));
        assertThat(statements.getInteger("total")).isEqualTo(3);
    }

    @Test
    void boundsRefuseAQueryBeforeItTouchesTheDatabase() throws Exception {
        String deep = "{ entities(ids: [\"1\"]) { prediction { model { registered { events { actor } } } } } }";
        String costly = "{ entities(ids: " + ids(100) + ") { history(limit: 1000) { features } } }";
        String aliases = "{ entity(id: \"1\") { " + IntStream.range(0, 1000).mapToObj(i -> "a" + i + ": id")
                .collect(Collectors.joining(" ")) + " } }";
        String cycle = "{ entity(id: \"1\") { ...A } } fragment A on Entity { id ...B } fragment B on Entity { ...A }";
        String tooMany = "{ entities(ids: " + ids(101) + ") { id } }";
        String big = "{ entity(id: \"1\") { id } }" + " ".repeat(20_000);

        assertRefused(graphql(deep, null), "query_too_deep", "serve.graphql.max_depth", 6, 5);
        // entities 1, + 100 x history 2, + 100 x 1000 x FeatureRow.features 1
        assertRefused(graphql(costly, null), "query_too_costly", "serve.graphql.max_cost", 1 + 100 * 2 + 100 * 1000,
                5000);
        assertRefused(graphql(aliases, null), "too_many_aliases", "serve.graphql.max_aliases", 1000, 30);
        assertRefused(graphql(tooMany, null), "too_many_ids", "serve.graphql.max_ids", 101, 100);
        assertRefused(graphql(big, null), "document_too_large", "serve.graphql.max_document_bytes", big.length(),
                16 * 1024);
        String viaVariables = "query($n: Int, $x: Boolean = false) { entities(ids: " + ids(100) + ") {"
                + " history(limit: $n) @include(if: $x) { features } } }";
        assertThat(graphql(viaVariables, new JsonObject().put("n", 1)).getJsonArray("errors")).isNull();
        assertRefused(graphql(viaVariables, new JsonObject().put("n", 1000).put("x", true)), "query_too_costly",
                "serve.graphql.max_cost", 1 + 100 * 2 + 100 * 1000, 5000);
        JsonObject cyclic = graphql(cycle, null);
        assertThat(cyclic.getInteger("status")).isEqualTo(400);
        assertThat(cyclic.getJsonArray("errors").encode()).contains("Fragment cycles not allowed");
        assertThat(cyclic.getJsonObject("extensions").getJsonObject("statements").getInteger("total")).isZero();
    }

    private static void assertRefused(JsonObject answer, String code, String limit, long measured, long budget) {
        assertThat(answer.getInteger("status")).as(answer.encode()).isEqualTo(400);
        assertThat(answer.containsKey("data")).isFalse();
        JsonObject error = answer.getJsonArray("errors").getJsonObject(0);
        JsonObject ext = error.getJsonObject("extensions");
        assertThat(ext.getString("code")).isEqualTo(code);
        assertThat(ext.getString("limit")).isEqualTo(limit);
        assertThat(ext.getLong("measured")).isEqualTo(measured);
        assertThat(ext.getLong("budget")).isEqualTo(budget);
        assertThat(error.getString("message")).contains(limit).contains(Long.toString(budget));
        assertThat(answer.getJsonObject("extensions").getJsonObject("statements").getInteger("total"))
                .as("a refused query runs no statement").isZero();
    }

    @Test
    void aFeatureIngestedAfterTheServerStartedIsServedThroughTheJsonScalar() throws Exception {
        Path csv = work.resolve("loyalty.csv");
        Files.writeString(csv, "entity_id,event_timestamp,loyalty_tier,loyalty_points\n"
                + "member-7,2026-01-01T00:00:00Z,silver,300\n"
                + "member-7,2026-02-01T00:00:00Z,gold,1250\n");
        IngestOptions options = IngestOptions.of("entity_id", "event_timestamp");
        FeatureSchema schema = SchemaProposal.propose(csv, options, 100);
        try (CsvSource src = new CsvSource(csv)) {
            assertThat(new Ingestor(fixture.db).ingest(src, schema, options, null).rowsAccepted()).isEqualTo(2L);
        }

        JsonObject answer = graphql("{ entity(id: \"member-7\") { eventTimestamp features history(limit: 5) {"
                + " eventTimestamp features } } }", null);

        JsonObject entity = answer.getJsonObject("data").getJsonObject("entity");
        assertThat(entity.getString("eventTimestamp")).isEqualTo("2026-02-01T00:00:00Z");
        assertThat(entity.getJsonObject("features").getString("loyalty_tier")).isEqualTo("gold");
        assertThat(((Number) entity.getJsonObject("features").getValue("loyalty_points")).doubleValue())
                .isEqualTo(1250.0);
        JsonArray history = entity.getJsonArray("history");
        assertThat(history.stream().map(r -> ((JsonObject) r).getJsonObject("features").getString("loyalty_tier")))
                .containsExactly("gold", "silver");
    }

    @Test
    void graphQlPredictAnswersExactlyAsRestDoes() throws Exception {
        String features = "{\"int_rate\": 21.5, \"sub_grade\": \"Z9\", \"Class\": \"bad\"}";
        JsonObject rest = post("/v1/predict", "{\"entity_id\": \"3\", \"features\": " + features + "}")
                .bodyAsJsonObject();
        JsonObject gql = graphql("mutation($f: JSON) { predict(input: {entityId: \"3\", features: $f}) { value"
                + " probabilities threshold cached degraded degradedReason warnings { field reason message }"
                + " model { name version threshold thresholdMetric } } }", new JsonObject().put("f",
                new JsonObject(features)));

        JsonObject p = gql.getJsonObject("data").getJsonObject("predict");
        assertThat(p.getValue("value")).isEqualTo(rest.getValue("prediction"));
        assertThat(p.getJsonObject("probabilities")).isEqualTo(rest.getJsonObject("probabilities"));
        assertThat(p.getValue("threshold")).isEqualTo(rest.getValue("threshold"));
        assertThat(p.getBoolean("cached")).isEqualTo(rest.getBoolean("cached"));
        assertThat(p.getBoolean("degraded")).isEqualTo(rest.getBoolean("degraded"));
        assertThat(p.getJsonArray("warnings")).isEqualTo(rest.getJsonArray("warnings"));
        assertThat(p.getJsonArray("warnings").encode()).contains("unseen_level").contains("label_ignored");
        JsonObject model = p.getJsonObject("model");
        assertThat(model.getString("name")).isEqualTo(rest.getJsonObject("model").getString("name"));
        assertThat(model.getInteger("version")).isEqualTo(rest.getJsonObject("model").getInteger("version"));
        assertThat(model.getValue("thresholdMetric")).isEqualTo(rest.getJsonObject("model").getValue("threshold_metric"));

        String bad = "{\"int_rate\": \"high\"}";
        JsonObject restBad = post("/v1/predict", "{\"entity_id\": \"3\", \"features\": " + bad + "}").bodyAsJsonObject();
        JsonObject gqlBad = graphql("mutation($f: JSON) { predict(input: {entityId: \"3\", features: $f}) { value } }",
                new JsonObject().put("f", new JsonObject(bad)));
        JsonObject error = gqlBad.getJsonArray("errors").getJsonObject(0);
        assertThat(error.getJsonObject("extensions").getString("code")).isEqualTo(restBad.getString("error"));
        assertThat(error.getJsonObject("extensions").getJsonArray("errors")).isEqualTo(restBad.getJsonArray("errors"));
        assertThat(error.getJsonArray("path").getList()).containsExactly("predict");
    }

    @Test
    void aBatchRowThatCannotBeScoredFailsAloneAndTheRestStands() throws Exception {
        JsonObject answer = graphql("mutation { predictBatch(rows: [{entityId: \"1\"}, {entityId: \"no-such\"},"
                + " {entityId: \"2\", features: {int_rate: \"x\"}}, {entityId: \"4\"}]) { rows ok failed results {"
                + " index ok error errors { field reason } prediction { value } } } }", null);

        JsonObject b = answer.getJsonObject("data").getJsonObject("predictBatch");
        assertThat(b.getInteger("ok")).isEqualTo(2);
        JsonArray results = b.getJsonArray("results");
        assertThat(results.getJsonObject(0).getJsonObject("prediction").getValue("value")).isIn("good", "bad");
        assertThat(results.getJsonObject(1).getString("error")).isEqualTo("unknown_entity");
        assertThat(results.getJsonObject(2).getString("error")).isEqualTo("invalid_features");
        assertThat(results.getJsonObject(2).getJsonArray("errors").getJsonObject(0).getString("field"))
                .isEqualTo("int_rate");
        assertThat(results.getJsonObject(3).getBoolean("ok")).isTrue();
    }

    @Test
    void modelsAndTheChampionComeFromTheRegistry() throws Exception {
        JsonObject answer = graphql("{ models(name: \"credit_risk\", last: 5) { version algorithm metrics events {"
                + " event } } champion(name: \"credit_risk\") { version inputSchema } model(name: \"credit_risk\") {"
                + " version } }", null);

        JsonObject data = answer.getJsonObject("data");
        assertThat(data.getJsonArray("models").stream().map(m -> ((JsonObject) m).getInteger("version")))
                .containsExactly(2, 1);
        assertThat(data.getJsonArray("models").getJsonObject(1).getJsonArray("events").encode()).contains("promoted");
        assertThat(data.getJsonObject("champion").getInteger("version")).isEqualTo(1);
        assertThat(data.getJsonObject("champion").getJsonObject("inputSchema")).isNotEmpty();
        assertThat(data.getJsonObject("model").getInteger("version")).isEqualTo(2);
        assertThat(answer.getJsonObject("extensions").getJsonObject("statements").getJsonObject("by_field").getMap())
                .isEqualTo(Map.of("Query.models", 1, "model events", 1, "Query.champion", 1, "Query.model", 1));
    }

    @Test
    void checkDataLoaderPassesTheServerAndCatchesAResolverWithoutALoader() throws Exception {
        String doc = "query Many { entities(ids: " + ids(20) + ") { id features prediction { value } } }";
        String base = "http://127.0.0.1:" + server.port();

        List<DataLoaderCheck.Result> good = new DataLoaderCheck(base).run(doc, Map.of());
        List<DataLoaderCheck.Result> bad = new DataLoaderCheck(base + "/test/naive-graphql").run(doc, Map.of());

        assertThat(good).allMatch(DataLoaderCheck.Result::ok);
        assertThat(bad.get(0).ok()).isFalse();
        assertThat(bad.get(0).problems()).anyMatch(p -> p.contains("resolver Entity.features issued 20 statements"));
    }

    @Test
    void aRequestNotAnsweredInTimeGetsATimeoutErrorNamingTheSetting() throws Exception {
        long t0 = System.nanoTime();
        HttpResponse<Buffer> r = post("/test/stuck-graphql", new JsonObject().put("query",
                "{ entity(id: \"1\") { id features } }").encode());
        long tookMs = (System.nanoTime() - t0) / 1_000_000;

        assertThat(r.statusCode()).isEqualTo(200);
        JsonObject error = r.bodyAsJsonObject().getJsonArray("errors").getJsonObject(0);
        assertThat(error.getJsonObject("extensions").getString("code")).isEqualTo("timeout");
        assertThat(error.getString("message")).contains("1500 ms").contains("serve.graphql.timeout_ms");
        assertThat(tookMs).isBetween(1400L, 5000L);
    }

    @Test
    void schemaAndGraphiqlAreServedFromTheJar() throws Exception {
        HttpResponse<Buffer> sdl = http.get("/graphql/schema").send().toCompletionStage().toCompletableFuture()
                .get(10, TimeUnit.SECONDS);
        HttpResponse<Buffer> ui = http.get("/graphql/ui/").send().toCompletionStage().toCompletableFuture()
                .get(10, TimeUnit.SECONDS);

        assertThat(sdl.bodyAsString()).contains("scalar JSON").contains("type Entity");
        assertThat(ui.statusCode()).isEqualTo(200);
        assertThat(ui.bodyAsString()).containsIgnoringCase("graphiql").doesNotContain("cdn.");
        HttpResponse<Buffer> head = http.head("/graphql/ui/").send().toCompletionStage().toCompletableFuture()
                .get(10, TimeUnit.SECONDS);
        assertThat(head.statusCode()).as("HEAD /graphql/ui/ (monitors and link checkers send it)").isEqualTo(200);
        assertThat(head.getHeader("content-type")).isEqualTo(ui.getHeader("content-type"));
    }

    static final String INTROSPECTION = "{ __schema { types { name fields { name type { name ofType { name ofType {"
            + " name ofType { name } } } } } } } }";

    @Test
    void introspectionIsAnsweredDespiteItsDepthAndCanBeTurnedOff() throws Exception {
        JsonObject on = graphql(INTROSPECTION, null);
        assertThat(on.getJsonArray("errors")).as(on.encode()).isNull();
        assertThat(on.getJsonObject("data").getJsonObject("__schema").getJsonArray("types").encode())
                .contains("\"Entity\"");

        GraphQlSettings d = GraphQlSettings.DEFAULTS;
        ServeConfig closed = ServeConfig.builder().port(0).eventLoops(1).scoringWorkers(1).inlineScoringMaxMicros(50)
                .batchMaxRows(100).bodyLimitBytes(64 * 1024).pgPoolSize(2)
                .resilience(Resilience.builder().redisUrl("none").breakerOpenSeconds(60).build())
                .graphql(new GraphQlSettings(d.maxDepth(), d.maxCost(), d.maxAliases(), d.maxDocumentBytes(),
                        d.maxIds(), d.maxLimit(), false, d.timeoutMillis(), d.weights()))
                .build();
        PredictionServer other = PredictionServer.start(closed, fixture.db.endpoint(), null).toCompletionStage()
                .toCompletableFuture().get(30, TimeUnit.SECONDS);
        try {
            other.awaitReady(java.time.Duration.ofSeconds(30)).toCompletionStage().toCompletableFuture().get();
            HttpResponse<Buffer> off = http.post(other.port(), "127.0.0.1", "/graphql")
                    .putHeader("content-type", "application/json")
                    .sendBuffer(Buffer.buffer(new JsonObject().put("query", INTROSPECTION).encode()))
                    .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            assertThat(off.bodyAsJsonObject().getValue("data")).as(off.bodyAsString()).isNull();
            assertThat(off.bodyAsString()).containsIgnoringCase("introspection");
        } finally {
            other.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void malformedRequestsAreA400NamingTheProblem() throws Exception {
        // Each: the status, the error code, and what the message names.
        HttpResponse<Buffer> notAString = post("/graphql", "{\"query\": 5}");
        assertThat(notAString.statusCode()).isEqualTo(400);
        assertThat(notAString.bodyAsJsonObject().getString("error")).isEqualTo("bad_request");
        assertThat(notAString.bodyAsJsonObject().getString("message")).contains("\"query\" must be a string");
        HttpResponse<Buffer> syntax = post("/graphql", "{\"query\": \"{ x\"}");
        assertThat(syntax.statusCode()).as(syntax.bodyAsString()).isEqualTo(400);
        JsonObject syntaxError = syntax.bodyAsJsonObject().getJsonArray("errors").getJsonObject(0);
        // graphql-java's own refusals carry its classification as their code.
        assertThat(syntaxError.getJsonObject("extensions").getString("classification")).as(syntax.bodyAsString())
                .isEqualTo("InvalidSyntax");
        assertThat(syntaxError.getString("message")).contains("line 1 column 4");
        HttpResponse<Buffer> noId = post("/graphql", "{\"query\": \"{ entity { id } }\"}");
        assertThat(noId.statusCode()).as(noId.bodyAsString()).isEqualTo(400);
        JsonObject noIdError = noId.bodyAsJsonObject().getJsonArray("errors").getJsonObject(0);
        assertThat(noIdError.getJsonObject("extensions").getString("classification")).as(noId.bodyAsString())
                .isEqualTo("ValidationError");
        assertThat(noIdError.getString("message")).as("names the missing argument").contains("'id'");
        HttpResponse<Buffer> misspelt = post("/graphql", "{\"qery\": \"{ a }\"}");
        assertThat(misspelt.statusCode()).isEqualTo(400);
        assertThat(misspelt.bodyAsJsonObject().getString("error")).isEqualTo("bad_request");
        assertThat(misspelt.bodyAsJsonObject().getString("message")).contains("unknown key 'qery'");
        JsonObject badId = graphql("{ entity(id: \"a\\u0000b\") { id } }", null);
        assertThat(badId.getJsonArray("errors").getJsonObject(0).getJsonObject("extensions").getString("code"))
                .isEqualTo("bad_entity_id");
    }

    @Test
    void theDocsCurlExampleIsAnsweredAsWritten() throws Exception {
        // docs/graphql.md's example, its body exactly as the page shows it (it once held a raw line break inside a
        // JSON string, and every reader who pasted it got malformed_json).
        java.util.List<String> lines = java.nio.file.Files.readAllLines(java.nio.file.Path.of("..", "docs",
                "graphql.md"));
        int at = lines.indexOf("curl -s localhost:8080/graphql -H 'content-type: application/json' -d @- <<'EOF'");
        assertThat(at).as("the example in docs/graphql.md").isNotNegative();
        String body = lines.get(at + 1);
        assertThat(lines.get(at + 2)).isEqualTo("EOF");
        HttpResponse<Buffer> r = post("/graphql", body);
        assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
        JsonObject answer = r.bodyAsJsonObject();
        assertThat(answer.getJsonArray("errors")).as(answer.encode()).isNull();
        assertThat(answer.getJsonObject("data").getJsonArray("entities")).hasSize(2);
    }
}
