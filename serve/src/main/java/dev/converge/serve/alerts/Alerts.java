package dev.converge.serve.alerts;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Alerts a person receives: a JSON POST to {@code serve.alerts.webhook_url} when a condition starts (firing) and
 * once more when it clears (resolved). An alert is named by a key ({@code drift/credit_risk/int_rate},
 * {@code breaker_open/postgresql}, {@code model_refused/credit_risk}); while it fires, firing it again sends nothing
 * (deduplicated). Delivery is retried with exponential backoff (0.5 s doubling, {@link #ATTEMPTS} attempts), off
 * every request's path; what could not be delivered is logged and counted. Without a URL, alerts are logged and
 * counted only. {@code converge_alerts_firing{alert}} is 1 while an alert fires.
 */
public final class Alerts implements AutoCloseable {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Alerts.class);
    static final int ATTEMPTS = 6;

    private final URI webhook;
    private final MeterRegistry metrics;
    private final HttpClient http;
    private final ScheduledExecutorService retries;
    private final Map<String, JsonObject> firing = new ConcurrentHashMap<>();
    private final Map<String, int[]> gauges = new ConcurrentHashMap<>();
    private final Counter delivered;
    private final Counter undelivered;

    /** @param webhookUrl where to POST; null: log and count only */
    public Alerts(String webhookUrl, MeterRegistry metrics) {
        this.webhook = webhookUrl == null ? null : URI.create(webhookUrl);
        this.metrics = metrics;
        this.http = webhook == null ? null : HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        this.retries = webhook == null ? null : Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "converge-alerts");
            t.setDaemon(true);
            return t;
        });
        this.delivered = Counter.builder("converge.alerts.deliveries").tag("outcome", "delivered").register(metrics);
        this.undelivered = Counter.builder("converge.alerts.deliveries").tag("outcome", "gave_up").register(metrics);
    }

    /** Starts {@code key} firing (sent once until it is resolved). */
    public void fire(String key, String severity, String summary, Map<String, Object> details) {
        JsonObject alert = new JsonObject().put("alert", key).put("status", "firing").put("severity", severity)
                .put("summary", summary).put("details", new JsonObject(new java.util.LinkedHashMap<>(details)))
                .put("at", Instant.now().toString());
        if (firing.putIfAbsent(key, alert) != null) {
            return; // already firing: deduplicated
        }
        gauge(key)[0] = 1;
        LOG.warn("ALERT {} ({}): {}", key, severity, summary);
        send(alert, 1);
    }

    /** Clears {@code key}: one resolved message if it was firing, nothing otherwise. */
    public void resolve(String key, String summary) {
        JsonObject was = firing.remove(key);
        if (was == null) {
            return;
        }
        gauge(key)[0] = 0;
        LOG.info("resolved {}: {}", key, summary);
        send(was.copy().put("status", "resolved").put("summary", summary).put("at", Instant.now().toString()), 1);
    }

    public boolean isFiring(String key) {
        return firing.containsKey(key);
    }

    /** The keys firing now that start with {@code prefix}. */
    public java.util.Set<String> firing(String prefix) {
        java.util.Set<String> out = new java.util.TreeSet<>();
        firing.keySet().forEach(k -> {
            if (k.startsWith(prefix)) {
                out.add(k);
            }
        });
        return out;
    }

    private int[] gauge(String key) {
        return gauges.computeIfAbsent(key, k -> {
            int[] h = {0};
            Gauge.builder("converge.alerts.firing", h, a -> a[0]).tag("alert", k).register(metrics);
            return h;
        });
    }

    private void send(JsonObject alert, int attempt) {
        if (webhook == null) {
            return;
        }
        http.sendAsync(HttpRequest.newBuilder(webhook).timeout(Duration.ofSeconds(10))
                        .header("content-type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(alert.encode())).build(),
                HttpResponse.BodyHandlers.discarding()).whenComplete((r, e) -> {
                    if (e == null && r.statusCode() / 100 == 2) {
                        delivered.increment();
                        return;
                    }
                    String why = e != null ? e.toString() : "HTTP " + r.statusCode();
                    if (attempt >= ATTEMPTS) {
                        undelivered.increment();
                        LOG.error("alert {} ({}) could not be delivered after {} attempts: {}", alert.getString("alert"),
                                alert.getString("status"), attempt, why);
                        return;
                    }
                    long delay = 500L << (attempt - 1);
                    retries.schedule(() -> send(alert, attempt + 1), delay, TimeUnit.MILLISECONDS);
                });
    }

    @Override
    public void close() {
        if (retries != null) {
            retries.shutdownNow();
        }
    }
}
