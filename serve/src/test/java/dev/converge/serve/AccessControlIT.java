package dev.converge.serve;

import static org.assertj.core.api.Assertions.assertThat;

import dev.converge.registry.ApiKeys;
import dev.converge.serve.access.RouteScopes;
import dev.converge.serve.config.Resilience;
import dev.converge.serve.config.ServeConfig;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Access control against a real server and real keys in PostgreSQL: every route against every scope (allowed is
 * never 401/403, denied is 403, no key 401), GraphQL per field, expired, revoked and malformed keys, a revocation
 * seen within a second, and the defaults: open on loopback with no key, refusing to start on another address.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AccessControlIT {
    private static final String ADMIN_TOKEN = "admin-token-0123456789";
    private ServeFixture fixture;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final Map<String, String> keys = new LinkedHashMap<>();

    @BeforeAll
    void fixture() throws Exception {
        fixture = new ServeFixture(Files.createTempDirectory("access"));
    }

    @AfterAll
    void close() throws Exception {
        fixture.close();
    }

    private ServeConfig config(String host) {
        return ServeConfig.builder().host(host).port(0).eventLoops(1).scoringWorkers(1).adminToken(ADMIN_TOKEN)
                .resilience(Resilience.builder().redisUrl("none").build()).build();
    }

    private PredictionServer start(ServeConfig config) throws Exception {
        PredictionServer s = PredictionServer.start(config, fixture.db.endpoint(), null).toCompletionStage()
                .toCompletableFuture().get(30, TimeUnit.SECONDS);
        ServeFixture.awaitModel(s);
        return s;
    }

    private HttpResponse<String> send(PredictionServer s, String method, String path, String key, String body)
            throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.port() + path))
                .timeout(Duration.ofSeconds(30)).method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        if (key != null) {
            b.header("Authorization", "Bearer " + key);
        }
        if (body != null) {
            b.header("content-type", "application/json");
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    @Order(1)
    void withNoKeyALoopbackServerIsOpenAndSaysSo() throws Exception {
        PredictionServer s = start(config("127.0.0.1"));
        try {
            HttpResponse<String> r = send(s, "POST", "/v1/predict", null, "{\"entity_id\": \"1\"}");
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            assertThat(new JsonObject(send(s, "GET", "/health/ready", null, null).body()).getString("access"))
                    .startsWith("open (loopback only");
        } finally {
            s.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
    }

    @Test
    @Order(2)
    void withNoKeyAServerReachableFromOtherMachinesRefusesToStart() {
        var started = PredictionServer.start(config("0.0.0.0"), fixture.db.endpoint(), null).toCompletionStage()
                .toCompletableFuture();
        assertThat(started).failsWithin(30, TimeUnit.SECONDS).withThrowableOfType(ExecutionException.class)
                .withMessageContaining("serve.host=0.0.0.0 is reachable from other machines and no API key exists")
                .withMessageContaining("serve.auth=off");
    }

    @Test
    @Order(3)
    void everyRouteAgainstEveryScope() throws Exception {
        ApiKeys store = new ApiKeys(fixture.db.dataSource());
        for (String scope : List.of("predict", "features:read", "feedback", "read", "admin")) {
            keys.put(scope, store.create("test " + scope, List.of(scope), null, null, "test").key());
        }
        PredictionServer s = start(config("127.0.0.1"));
        try {
            JsonObject doc = new JsonObject(send(s, "GET", "/openapi.json", null, null).body());
            List<String> checked = new ArrayList<>();
            for (String path : doc.getJsonObject("paths").fieldNames()) {
                for (String method : doc.getJsonObject("paths").getJsonObject(path).fieldNames()) {
                    if (method.equals("parameters")) {
                        continue;
                    }
                    String real = path.replace("{version}", "1").replace("{id}", "1")
                            .replace("{name}", "credit_risk").replace("{method}", "ModelInfer");
                    String m = method.toUpperCase(java.util.Locale.ROOT);
                    RouteScopes.Rule rule = RouteScopes.of(m, real);
                    assertThat(rule).as("%s %s has a row in RouteScopes", m, path).isNotNull();
                    String body = m.equals("POST") ? "{}" : null;
                    int anonymous = send(s, m, real, null, body).statusCode();
                    if (rule.scope().equals(RouteScopes.OPEN)) {
                        assertThat(anonymous).as("%s %s is open", m, path).isNotIn(401, 403);
                        continue;
                    }
                    assertThat(anonymous).as("%s %s without a key", m, path).isEqualTo(401);
                    for (Map.Entry<String, String> k : keys.entrySet()) {
                        HttpResponse<String> r = send(s, m, real, k.getValue(), body);
                        boolean allowed = rule.scope().equals("any") || rule.scope().equals(k.getKey());
                        if (allowed) {
                            assertThat(r.statusCode()).as("%s %s with %s: %s", m, path, k.getKey(), r.body())
                                    .isNotIn(401, 403);
                        } else {
                            assertThat(r.statusCode()).as("%s %s with %s: %s", m, path, k.getKey(), r.body())
                                    .isEqualTo(403);
                            assertThat(new JsonObject(r.body()).getString("message"))
                                    .contains("lacks scope '" + rule.scope() + "'");
                        }
                    }
                    checked.add(m + " " + path);
                }
            }
            assertThat(checked).contains("POST /v1/predict", "POST /v1/feedback", "GET /metrics",
                    "POST /admin/models/rollback", "POST /v2/models/{name}/infer", "POST /graphql");
            // The admin token opens the admin routes, as before keys existed; not the others.
            assertThat(send(s, "POST", "/admin/models/1/activate", ADMIN_TOKEN, "{}").statusCode()).isEqualTo(200);
            assertThat(send(s, "POST", "/v1/predict", ADMIN_TOKEN, "{\"entity_id\": \"1\"}").statusCode())
                    .isEqualTo(401);
        } finally {
            s.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
    }

    @Test
    @Order(4)
    void graphQlFieldsNeedTheirOwnScopes() throws Exception {
        PredictionServer s = start(config("127.0.0.1"));
        try {
            String query = new JsonObject().put("query", "{ entity(id: \"1\") { features prediction { value } } }")
                    .encode();
            JsonObject asFeatures = new JsonObject(send(s, "POST", "/graphql", keys.get("features:read"), query)
                    .body());
            assertThat(asFeatures.getJsonObject("data").getJsonObject("entity").getValue("features")).isNotNull();
            assertThat(asFeatures.getJsonArray("errors").getJsonObject(0).getString("message"))
                    .contains("lacks scope 'predict', which Entity.prediction needs");
            JsonObject asRead = new JsonObject(send(s, "POST", "/graphql", keys.get("read"), query).body());
            assertThat(asRead.getJsonObject("data").getValue("entity")).isNull();
            assertThat(asRead.getJsonArray("errors").getJsonObject(0).getJsonObject("extensions").getString("code"))
                    .isEqualTo("forbidden");
        } finally {
            s.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
    }

    @Test
    @Order(5)
    void expiredRevokedMalformedAndModelLimitedKeys() throws Exception {
        ApiKeys store = new ApiKeys(fixture.db.dataSource());
        String expired = store.create("expired", List.of("predict"), null, Instant.now().minusSeconds(1), "test")
                .key();
        ApiKeys.Created doomed = store.create("doomed", List.of("predict"), null, null, "test");
        String otherModel = store.create("churn only", List.of("predict"), List.of("churn"), null, "test").key();
        PredictionServer s = start(config("127.0.0.1"));
        try {
            String body = "{\"entity_id\": \"1\"}";
            assertThat(new JsonObject(send(s, "POST", "/v1/predict", expired, body).body()).getString("message"))
                    .contains("expired at");
            assertThat(send(s, "POST", "/v1/predict", "cvk_nonsense", body).statusCode()).isEqualTo(401);
            String wrongSecret = doomed.key().substring(0, doomed.key().length() - 3) + "AAA";
            HttpResponse<String> wrong = send(s, "POST", "/v1/predict", wrongSecret, body);
            assertThat(wrong.statusCode()).isEqualTo(401);
            assertThat(new JsonObject(wrong.body()).getString("message")).isEqualTo("unknown key");
            HttpResponse<String> limited = send(s, "POST", "/v1/predict", otherModel, body);
            assertThat(limited.statusCode()).as(limited.body()).isEqualTo(403);
            assertThat(new JsonObject(limited.body()).getString("message")).contains("may predict only with [churn]");
            assertThat(send(s, "POST", "/v1/predict", doomed.key(), body).statusCode()).isEqualTo(200);
            // Revoked from another process's point of view: the table, then NOTIFY; refused within a second.
            assertThat(store.revoke(doomed.stored().id(), "test")).isTrue();
            long t0 = System.nanoTime();
            int status = 200;
            while (status == 200 && System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(5)) {
                status = send(s, "POST", "/v1/predict", doomed.key(), body).statusCode();
                if (status == 200) {
                    Thread.sleep(20);
                }
            }
            long tookMs = (System.nanoTime() - t0) / 1_000_000;
            assertThat(status).isEqualTo(401);
            assertThat(tookMs).as("revocation seen within a second").isLessThan(1000);
        } finally {
            s.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
    }

    @Test
    @Order(6)
    void aKeyOverItsRateIsAnswered429AndNoOtherKeyIs() throws Exception {
        ApiKeys store = new ApiKeys(fixture.db.dataSource());
        String slow = store.create("five a second", List.of("predict"), null, null, 5, "test").key();
        PredictionServer s = start(config("127.0.0.1"));
        try {
            String body = "{\"entity_id\": \"1\"}";
            Map<Integer, Integer> byStatus = new java.util.TreeMap<>();
            HttpResponse<String> refused = null;
            for (int i = 0; i < 30; i++) { // far faster than 5 a second: the bucket's second of burst, then 429s
                HttpResponse<String> r = send(s, "POST", "/v1/predict", slow, body);
                byStatus.merge(r.statusCode(), 1, Integer::sum);
                if (r.statusCode() == 429) {
                    refused = r;
                }
            }
            assertThat(send(s, "POST", "/v1/predict", keys.get("predict"), body).statusCode())
                    .as("another key is not slowed").isEqualTo(200);
            assertThat(byStatus).as("30 requests as fast as they go").containsOnlyKeys(200, 429);
            assertThat(byStatus.get(200)).as("a second's burst (5), and what refilled meanwhile").isBetween(5, 20);
            assertThat(refused.headers().firstValue("Retry-After")).hasValue("1");
            assertThat(new JsonObject(refused.body()).getString("message")).contains("over its rate of 5");
            Thread.sleep(1100);
            assertThat(send(s, "POST", "/v1/predict", slow, body).statusCode()).as("refilled").isEqualTo(200);
        } finally {
            s.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
    }

    @Test
    @Order(7)
    void aSourceFailingAuthenticationFastIsRefusedBeforeAnyCheckAndRecoversAfterASecond() throws Exception {
        PredictionServer s = start(config("127.0.0.1"));
        try {
            String body = "{\"entity_id\": \"1\"}";
            Map<Integer, Integer> byStatus = new java.util.TreeMap<>();
            String wrong = "cvk_000000000000_" + "x".repeat(43);
            for (int i = 0; i < 200; i++) { // a brute force, as fast as it goes
                byStatus.merge(send(s, "POST", "/v1/predict", wrong, body).statusCode(), 1, Integer::sum);
            }
            assertThat(byStatus).as("%s", byStatus).containsOnlyKeys(401, 429);
            assertThat(byStatus.get(401)).as("a second's burst of failures, and what refilled").isBetween(50, 150);
            HttpResponse<String> blocked = send(s, "POST", "/v1/predict", keys.get("predict"), body);
            assertThat(blocked.statusCode()).as("the address is refused before its key is looked at").isEqualTo(429);
            assertThat(new JsonObject(blocked.body()).getString("message")).contains("too many failed authentications");
            Thread.sleep(1100);
            assertThat(send(s, "POST", "/v1/predict", keys.get("predict"), body).statusCode()).as("refilled")
                    .isEqualTo(200);
        } finally {
            s.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
    }
}
