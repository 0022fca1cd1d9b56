package dev.converge.serve;

import static org.assertj.core.api.Assertions.assertThat;

import dev.converge.serve.config.Resilience;
import dev.converge.serve.config.ServeConfig;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Stops PostgreSQL (an embedded one this test starts itself, never the shared one) under a running server, then
 * Redis too: every request is still answered, 200, degraded with its reason.
 */
class PostgresChaosIT {
    @TempDir
    Path work;

    @Test
    void withPostgresAndThenRedisDownEveryRequestIsStillAnswered() throws Exception {
        EmbeddedPostgres pg = EmbeddedPostgres.builder().setDataDirectory(work.resolve("pg")).start();
        int redisPort;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            redisPort = s.getLocalPort();
        }
        Process redis = CacheAndRedisChaosIT.startRedis(redisPort, work);
        ServeFixture fixture = new ServeFixture(work, pg.getJdbcUrl("postgres", "postgres"));
        PredictionServer server = PredictionServer.start(ServeConfig.builder().port(0).eventLoops(2).scoringWorkers(2)
                .inlineScoringMaxMicros(50).batchMaxRows(100).bodyLimitBytes(64 * 1024).pgPoolSize(4)
                .resilience(Resilience.builder().redisUrl("redis://127.0.0.1:" + redisPort).breakerOpenSeconds(60)
                        .cacheAlways(true).build())
                .build(),
                fixture.db.endpoint(), null).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        Vertx vertx = Vertx.vertx();
        WebClient http = WebClient.create(vertx, new WebClientOptions().setDefaultHost("127.0.0.1")
                .setDefaultPort(server.port()));
        try {
            ServeFixture.awaitModel(server);
            JsonObject full = post(http, "{\"entity_id\": \"5\"}").bodyAsJsonObject();
            assertThat(full.getBoolean("degraded")).isFalse();
            JsonObject features = new JsonObject();
            java.util.Map<String, Object> stored = new dev.converge.store.OnlineStore(fixture.db).read("5", false)
                    .orElseThrow().hot();
            for (String f : server.activeModel().schema().names()) {
                features.put(f, stored.get(f));
            }

            pg.close(); // PostgreSQL is gone
            long stopped = System.nanoTime();
            HttpResponse<Buffer> first = post(http, "{\"entity_id\": \"5\"}");
            double firstFallback = (System.nanoTime() - stopped) / 1e9;

            assertThat(first.statusCode()).isEqualTo(200);
            assertThat(first.bodyAsJsonObject().getBoolean("degraded")).isTrue();
            assertThat(first.bodyAsJsonObject().getString("degraded_reason"))
                    .contains("online features unavailable").contains("default answer").doesNotContain("Exception");
            assertThat(firstFallback).isLessThan(1.0);
            JsonObject inline = post(http, new JsonObject().put("entity_id", "5").put("features", features).encode())
                    .bodyAsJsonObject();
            assertThat(inline.getBoolean("degraded")).isTrue();
            assertThat(inline.getString("degraded_reason")).contains("scored from the request's features");
            assertThat(inline.getJsonObject("probabilities")).isEqualTo(full.getJsonObject("probabilities"));
            int status500 = 0;
            for (int i = 0; i < 30; i++) {
                String body = i % 3 == 0 ? "{\"entity_id\": \"" + i + "\"}"
                        : new JsonObject().put("entity_id", "x" + i).put("features", features).encode();
                HttpResponse<Buffer> r = post(http, body);
                status500 += r.statusCode() >= 500 ? 1 : 0;
                assertThat(r.statusCode()).isEqualTo(200);
            }
            assertThat(status500).isZero();

            redis.destroyForcibly().waitFor(); // and Redis too
            for (int i = 0; i < 20; i++) {
                HttpResponse<Buffer> r = post(http, i % 2 == 0 ? "{\"entity_id\": \"7\"}"
                        : new JsonObject().put("features", features).encode());
                assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
                assertThat(r.bodyAsJsonObject().getBoolean("degraded")).isTrue();
            }
            System.out.printf("first fallback %.3f s after PostgreSQL stopped%n", firstFallback);
        } finally {
            server.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            vertx.close();
            redis.destroyForcibly();
        }
    }

    static HttpResponse<Buffer> post(WebClient http, String body) throws Exception {
        return http.post("/v1/predict").sendBuffer(Buffer.buffer(body)).toCompletionStage().toCompletableFuture()
                .get(10, TimeUnit.SECONDS);
    }
}
