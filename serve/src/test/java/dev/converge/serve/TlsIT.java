package dev.converge.serve;

import dev.converge.serve.config.TlsSettings;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.converge.serve.config.Resilience;
import dev.converge.serve.config.ServeConfig;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SelfSignedCertificate;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The server terminating TLS itself (serve.tls.cert, serve.tls.key) with a self-signed certificate: predictions over
 * HTTP/2 and HTTP/1.1 (ALPN), plain HTTP refused on that port, and a missing key file named at configuration.
 */
class TlsIT {
    @TempDir
    Path work;

    @Test
    void predictionsOverHttp2AndHttp11WithTlsAndPlainHttpIsRefused() throws Exception {
        SelfSignedCertificate cert = SelfSignedCertificate.create("localhost");
        Vertx vertx = Vertx.vertx();
        try (ServeFixture fixture = new ServeFixture(work)) {
            ServeConfig config = ServeConfig.builder().port(0).eventLoops(1).scoringWorkers(2)
                    .inlineScoringMaxMicros(50).pgPoolSize(4)
                    .resilience(Resilience.builder().redisUrl("none").breakerOpenSeconds(60).build())
                    .tls(new TlsSettings(cert.certificatePath(), cert.privateKeyPath())).build();
            PredictionServer server = PredictionServer.start(config, fixture.db.endpoint(), null).toCompletionStage()
                    .toCompletableFuture().get(30, TimeUnit.SECONDS);
            try {
                ServeFixture.awaitModel(server);
                JsonObject body = new JsonObject().put("features", new JsonObject(new HashMap<>(
                        server.activeModel().referenceRows().get(0))));
                for (HttpVersion version : new HttpVersion[] {HttpVersion.HTTP_2, HttpVersion.HTTP_1_1}) {
                    WebClient tls = WebClient.create(vertx, new WebClientOptions().setSsl(true).setTrustAll(true)
                            .setVerifyHost(false).setUseAlpn(true).setProtocolVersion(version));
                    HttpResponse<Buffer> r = tls.post(server.port(), "127.0.0.1", "/v1/predict").sendJsonObject(body)
                            .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
                    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
                    assertThat(r.version()).isEqualTo(version);
                    assertThat(r.bodyAsJsonObject().getJsonObject("model").getInteger("version")).isEqualTo(1);
                    tls.close();
                }
                WebClient plain = WebClient.create(vertx);
                assertThatThrownBy(() -> plain.post(server.port(), "127.0.0.1", "/v1/predict").sendJsonObject(body)
                        .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS))
                        .as("plain HTTP to the TLS port gets no answer").isNotNull();
            } finally {
                server.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            }
        } finally {
            vertx.close();
        }
        assertThatThrownBy(() -> new TlsSettings(cert.certificatePath(), work.resolve("missing.pem").toString()))
                .hasMessageContaining("serve.tls.key").hasMessageContaining("missing.pem");
        assertThatThrownBy(() -> new TlsSettings(cert.certificatePath(), null))
                .hasMessageContaining("serve.tls.cert and serve.tls.key go together");
    }
}
