package dev.converge.serve;

import static org.assertj.core.api.Assertions.assertThat;

import dev.converge.serve.alerts.Alerts;
import dev.converge.serve.monitor.Retrainer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Drift-triggered retraining's breaker, with real child processes, real PostgreSQL and a real webhook listener. */
class RetrainIT {
    @TempDir
    static Path work;
    static ServeFixture fixture;
    static WebhookListener hook;
    static List<JsonObject> received;

    @BeforeAll
    static void start() throws Exception {
        fixture = new ServeFixture(work);
        hook = new WebhookListener();
        received = hook.received();
    }

    @AfterAll
    static void stop() throws Exception {
        hook.close();
        fixture.close();
    }

    static Retrainer retrainer(Alerts alerts, String shell) {
        return new Retrainer(fixture.db.dataSource(), List.of("sh", "-c", shell), Duration.ofMinutes(1), alerts);
    }

    @Test
    void threeFailedRetrainsOpenTheBreakerWithOneAlertAndOnlyAResetClosesIt() throws Exception {
        PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        Alerts alerts = new Alerts(hook.url(), metrics);
        List<String> outcomes = new ArrayList<>();
        try (Retrainer failing = retrainer(alerts, "echo 'training failed for {actor}'; exit 3")) {
            for (int i = 0; i < 4; i++) {
                Retrainer.Attempt a = failing.trigger("credit_risk", "drift run r" + i).get(60, TimeUnit.SECONDS);
                outcomes.add(a.outcome());
                if (i == 0) {
                    assertThat(a.exitCode()).isEqualTo(3);
                    assertThat(a.outputTail()).contains("training failed for drift-retrain (drift run r0)");
                }
            }
        }
        assertThat(outcomes).containsExactly("failed", "failed", "failed", "refused_breaker_open");
        awaitAlerts(1);
        Thread.sleep(300);
        assertThat(received).hasSize(1);
        assertThat(received.get(0).getString("alert")).isEqualTo("retrain_breaker/credit_risk");
        assertThat(received.get(0).getString("status")).isEqualTo("firing");
        assertThat(received.get(0).getString("summary")).contains("converge retrain reset credit_risk");

        assertThat(Retrainer.reset(fixture.db.dataSource(), "credit_risk", "test")).isTrue();
        try (Retrainer succeeding = retrainer(alerts, "exit 0")) {
            assertThat(succeeding.trigger("credit_risk", "drift run r4").get(60, TimeUnit.SECONDS).outcome())
                    .isEqualTo("succeeded");
        }
        awaitAlerts(2);

        assertThat(received.get(1).getString("status")).isEqualTo("resolved");
        try (Connection c = fixture.db.connection(); ResultSet rs = c.createStatement().executeQuery("SELECT"
                + " string_agg(outcome, ',' ORDER BY id), (SELECT consecutive_failures FROM retrain_breakers WHERE"
                + " model = 'credit_risk') FROM retrain_runs WHERE model = 'credit_risk'")) {
            rs.next();
            assertThat(rs.getString(1)).isEqualTo("failed,failed,failed,refused_breaker_open,succeeded");
            assertThat(rs.getInt(2)).isZero();
        }
        alerts.close();
    }

    static void awaitAlerts(int n) throws InterruptedException {
        hook.await(n, 5000);
    }
}
