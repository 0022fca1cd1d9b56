package dev.converge.serve.alerts;

import static org.assertj.core.api.Assertions.assertThat;

import dev.converge.serve.WebhookListener;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Webhook delivery to a real HTTP listener on loopback: once per firing, a resolve message, retries. */
class AlertsTest {
    WebhookListener listener;
    List<JsonObject> received;
    final PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    Alerts alerts;

    @BeforeEach
    void listen() throws Exception {
        listener = new WebhookListener();
        received = listener.received();
        alerts = new Alerts(listener.url(), metrics);
    }

    @AfterEach
    void stop() {
        alerts.close();
        listener.close();
    }

    void awaitReceived(int n, long millis) throws InterruptedException {
        listener.await(n, millis);
    }

    @Test
    void aFiringAlertIsSentOnceAndItsResolutionOnce() throws Exception {
        alerts.fire("drift/m/x", "warning", "x drifted", Map.of("psi", 0.4));
        alerts.fire("drift/m/x", "warning", "x drifted again", Map.of("psi", 0.5));
        awaitReceived(1, 5000);
        Thread.sleep(300);
        assertThat(received).hasSize(1);
        assertThat(metrics.scrape()).contains("converge_alerts_firing{alert=\"drift/m/x\"} 1.0");

        alerts.resolve("drift/m/x", "x is back");
        alerts.resolve("drift/m/x", "x is back");
        awaitReceived(2, 5000);
        Thread.sleep(300);

        assertThat(received).hasSize(2);
        assertThat(received.get(0).getString("status")).isEqualTo("firing");
        assertThat(received.get(0).getString("summary")).isEqualTo("x drifted");
        assertThat(received.get(0).getJsonObject("details").getDouble("psi")).isEqualTo(0.4);
        assertThat(received.get(1).getString("status")).isEqualTo("resolved");
        assertThat(received.get(1).getString("alert")).isEqualTo("drift/m/x");
        assertThat(metrics.scrape()).contains("converge_alerts_firing{alert=\"drift/m/x\"} 0.0");
    }

    @Test
    void aFailingWebhookIsRetriedWithBackoff() throws Exception {
        listener.failNext(2); // 500, 500, then 204: delivered on the third attempt, 0.5 s + 1 s later

        long t0 = System.nanoTime();
        alerts.fire("breaker_open/postgresql", "critical", "open", Map.of());
        awaitReceived(1, 10_000);

        assertThat(received).hasSize(1);
        assertThat((System.nanoTime() - t0) / 1_000_000).isGreaterThanOrEqualTo(1500);
        long deadline = System.currentTimeMillis() + 5000; // the client counts once it has read the response
        while (!metrics.scrape().contains("converge_alerts_deliveries_total{outcome=\"delivered\"} 1.0")
                && System.currentTimeMillis() < deadline) {
            Thread.sleep(20);
        }
        assertThat(metrics.scrape()).contains("converge_alerts_deliveries_total{outcome=\"delivered\"} 1.0");
    }
}
