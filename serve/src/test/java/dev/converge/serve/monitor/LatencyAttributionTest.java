package dev.converge.serve.monitor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.converge.serve.alerts.Alerts;
import dev.converge.serve.resilience.LoopLag;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.Test;

/** The decision: which stage made the slow requests slow, and when an alert fires and resolves. */
class LatencyAttributionTest {
    final PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    final Alerts alerts = new Alerts(null, metrics);
    final LoopLag lag = new LoopLag();
    final LatencyAttribution attribution = new LatencyAttribution(50, 2, lag, alerts, 1);

    static final long MS = 1_000_000;

    void traffic(long scoringMillis) {
        for (int i = 0; i < 1000; i++) {
            long scoring = i >= 980 ? scoringMillis * MS : MS / 10;
            attribution.record(scoring + MS, MS / 2, 0, 0, scoring);
        }
    }

    @Test
    void slowScoringIsNamedOnceSustained() {
        traffic(80);
        LatencyAttribution.Finding first = attribution.evaluate("m");
        assertThat(first.cause()).isEqualTo("scoring");
        assertThat(first.p99Millis()).isGreaterThan(50);
        assertThat(alerts.isFiring("latency/m")).as("one slow interval is not sustained").isFalse();

        traffic(80);
        attribution.evaluate("m");
        assertThat(alerts.isFiring("latency/m")).isTrue();

        traffic(1);
        attribution.evaluate("m");
        assertThat(alerts.isFiring("latency/m")).as("resolved after a good interval").isFalse();
    }

    @Test
    void aBlockedLoopCountsAsLatencyEvenWhenNoTimedRequestWasCaughtInIt() {
        for (int i = 0; i < 1000; i++) {
            attribution.record(MS, MS / 2, 0, 0, MS / 10); // every timed request fast
        }
        long now = System.nanoTime();
        lag.report(250 * MS, now, 250 * MS); // the loop could not run for 250 ms: whoever arrived then waited

        LatencyAttribution.Finding f = attribution.evaluate("m");

        assertThat(f.p99Millis()).isEqualTo(250.0);
        assertThat(f.cause()).isEqualTo("event-loop lag");
    }

    @Test
    void aLoopThatRanLateIsNamedWhateverStageTheDelayFellIn() {
        for (int i = 0; i < 1000; i++) {
            long fetch = i >= 980 ? 300 * MS : MS;
            attribution.record(fetch + MS, fetch, 0, 0, MS / 10);
        }
        lag.report(290 * MS, System.nanoTime());

        LatencyAttribution.Finding f = attribution.evaluate("m");

        assertThat(f.cause()).isEqualTo("event-loop lag");
        assertThat(f.tailMillis().get("feature fetch")).isGreaterThan(250);
        assertThat(f.describe()).contains("feature fetch").contains("ran up to 290.0 ms late");
    }
}
