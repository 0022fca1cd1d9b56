package dev.converge.serve;

import static org.assertj.core.api.Assertions.assertThat;

import dev.converge.serve.config.JwtSettings;
import dev.converge.serve.config.Resilience;
import dev.converge.serve.config.ServeConfig;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.interfaces.RSAPublicKey;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Bearer JWTs from an identity provider this test plays: an RSA key pair, its public half in a JWKS file the
 * server reads, tokens signed with the private half. A good token with the scope predicts; every way a token can be
 * wrong is a 401 naming what failed, and a token without the scope or the model a 403.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AccessControlJwtIT {
    static final String ISSUER = "https://idp.test";
    static final String AUDIENCE = "converge";
    private Path work;
    private ServeFixture fixture;
    private PredictionServer server;
    private Vertx vertx;
    private KeyPair idp;
    private JWTAuth signer;
    private JWTAuth impostor;
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    void start() throws Exception {
        work = Files.createTempDirectory("jwt");
        fixture = new ServeFixture(work);
        vertx = Vertx.vertx();
        idp = rsa();
        RSAPublicKey pub = (RSAPublicKey) idp.getPublic();
        Path jwks = work.resolve("jwks.json");
        Files.writeString(jwks, new JsonObject().put("keys", new JsonArray().add(new JsonObject().put("kty", "RSA")
                .put("kid", "k1").put("alg", "RS256").put("use", "sig").put("n", b64(pub.getModulus()))
                .put("e", b64(pub.getPublicExponent())))).encode());
        signer = signerOf(idp);
        impostor = signerOf(rsa()); // the same kid, another key
        server = PredictionServer.start(ServeConfig.builder().port(0).eventLoops(1).scoringWorkers(1)
                .jwt(new JwtSettings(jwks.toString(), ISSUER, AUDIENCE))
                .resilience(Resilience.builder().redisUrl("none").build()).build(), fixture.db.endpoint(), null)
                .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        ServeFixture.awaitModel(server);
    }

    @AfterAll
    void stop() throws Exception {
        server.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        vertx.close();
        fixture.close();
    }

    private static KeyPair rsa() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        return g.generateKeyPair();
    }

    private JWTAuth signerOf(KeyPair k) {
        String pem = "-----BEGIN PRIVATE KEY-----\n" + Base64.getMimeEncoder().encodeToString(k.getPrivate()
                .getEncoded()) + "\n-----END PRIVATE KEY-----\n";
        return JWTAuth.create(vertx, new JWTAuthOptions().addPubSecKey(new PubSecKeyOptions().setAlgorithm("RS256")
                .setBuffer(pem).setId("k1")));
    }

    private static String b64(BigInteger v) {
        byte[] b = v.toByteArray();
        if (b.length > 1 && b[0] == 0) {
            b = java.util.Arrays.copyOfRange(b, 1, b.length);
        }
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    private static String b64(String s) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    private String token(JWTAuth by, JsonObject claims, String issuer, String audience) {
        return by.generateToken(claims, new JWTOptions().setAlgorithm("RS256").setExpiresInSeconds(300)
                .setIssuer(issuer).setAudience(List.of(audience)));
    }

    private HttpResponse<String> predict(String token) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/v1/predict"))
                .header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"entity_id\": \"7\"}"));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aTokenFromTheProviderWithTheScopePredicts() throws Exception {
        HttpResponse<String> r = predict(token(signer, new JsonObject().put("sub", "alice").put("scope",
                "predict read"), ISSUER, AUDIENCE));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(new JsonObject(r.body()).getString("prediction")).isNotNull();
        assertThat(predict(null).statusCode()).as("no token").isEqualTo(401);
    }

    @Test
    void everyWrongTokenIsRefusedSayingWhat() throws Exception {
        JsonObject claims = new JsonObject().put("sub", "alice").put("scope", "predict");
        long now = System.currentTimeMillis() / 1000;
        String header = b64("{\"alg\":\"none\",\"typ\":\"JWT\"}");
        String payload = b64(claims.copy().put("iss", ISSUER).put("aud", AUDIENCE).put("exp", now + 300).encode());
        javax.crypto.Mac hmac = javax.crypto.Mac.getInstance("HmacSHA256"); // HMAC keyed with the public key
        hmac.init(new javax.crypto.spec.SecretKeySpec(idp.getPublic().getEncoded(), "HmacSHA256"));
        String hsHeader = b64("{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"k1\"}");
        String hs = hsHeader + "." + payload + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(
                hmac.doFinal((hsHeader + "." + payload).getBytes(StandardCharsets.UTF_8)));
        java.util.Map<String, String> wrong = new java.util.LinkedHashMap<>();
        wrong.put("another key", token(impostor, claims, ISSUER, AUDIENCE));
        wrong.put("another issuer", token(signer, claims, "https://evil.test", AUDIENCE));
        wrong.put("another audience", token(signer, claims, ISSUER, "someone-else"));
        wrong.put("expired", signer.generateToken(claims.copy().put("iss", ISSUER).put("aud", AUDIENCE)
                .put("exp", now - 600).put("iat", now - 900), new JWTOptions().setAlgorithm("RS256")));
        wrong.put("alg none", header + "." + payload + ".");
        wrong.put("HMAC with the public key", hs);
        wrong.put("not a JWT", "hello.world");

        for (var w : wrong.entrySet()) {
            HttpResponse<String> r = predict(w.getValue());
            assertThat(r.statusCode()).as(w.getKey() + ": " + r.body()).isEqualTo(401);
            assertThat(new JsonObject(r.body()).getString("message")).as(w.getKey())
                    .contains("neither a converge key nor a valid JWT");
        }
    }

    @Test
    void aValidTokenWithoutTheScopeOrTheModelIsForbidden() throws Exception {
        HttpResponse<String> readOnly = predict(token(signer, new JsonObject().put("sub", "bob").put("scope",
                "read"), ISSUER, AUDIENCE));
        assertThat(readOnly.statusCode()).as(readOnly.body()).isEqualTo(403);
        assertThat(new JsonObject(readOnly.body()).getString("message")).contains("lacks scope 'predict'");
        HttpResponse<String> otherModel = predict(token(signer, new JsonObject().put("sub", "carol").put("scope",
                new JsonArray().add("predict")).put("converge_models", new JsonArray().add("churn")), ISSUER,
                AUDIENCE));
        assertThat(otherModel.statusCode()).as(otherModel.body()).isEqualTo(403);
        assertThat(new JsonObject(otherModel.body()).getString("message")).contains("may predict only with [churn]");
    }
}
