package dev.converge.serve.monitor;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.config.MeterFilter;
import java.util.Map;

/**
 * The help text of every converge metric family, in one place: a meter filter sets it on each meter as it is
 * registered, so a family's HELP line is the same whichever of its series registered first, and a metric without
 * one is caught by {@code MetricConventionsIT} (promtool check metrics).
 */
public final class MetricHelp implements MeterFilter {
    /** A Prometheus registry with every converge family's help and the JVM's own meters (memory, GC, threads, CPU). */
    public static PrometheusMeterRegistry registry() {
        PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        metrics.config().meterFilter(new MetricHelp());
        new JvmMemoryMetrics().bindTo(metrics);
        new JvmGcMetrics().bindTo(metrics);
        new JvmThreadMetrics().bindTo(metrics);
        new ProcessorMetrics().bindTo(metrics);
        return metrics;
    }

    static final Map<String, String> HELP = Map.ofEntries(
            Map.entry("http.server.requests", "HTTP requests by route and status, timed from the first byte to the"
                    + " last byte of the answer"),
            Map.entry("converge.eventloop.lag", "how late the event loops ran a timer (blocking code, GC, or too little"
                    + " CPU)"),
            Map.entry("converge.eventloop.blocked", "timer ticks later than serve.lag_warn_ms"),
            Map.entry("converge.model.info", "the model version served (1 for the active one), by name and version"),
            Map.entry("converge.scoring", "time to score one row with h2o-genmodel, on the event loop (inline) or"
                    + " on the scoring workers"),
            Map.entry("converge.scoring.queue", "scorings waiting for a scoring worker"),
            Map.entry("converge.scoring.expected_wait", "how long a scoring queued now would wait for a worker, in"
                    + " seconds"),
            Map.entry("converge.scoring.expired", "scorings dropped unrun: they waited past serve.queue_deadline_ms"),
            Map.entry("converge.shed", "requests refused with 503 for overload, by the bound that refused them"),
            Map.entry("converge.degraded", "answers marked degraded: a dependency failed and the answer was made"
                    + " without it"),
            Map.entry("converge.unseen.levels", "categorical levels the model never saw in training, by model and"
                    + " feature"),
            Map.entry("converge.cache.requests", "prediction cache lookups by result: hit, miss, late (answered"
                    + " after the model had scored), bypassed (the model scores faster than a lookup)"),
            Map.entry("converge.cache.single_flight.shared", "requests that shared an identical in-flight lookup's"
                    + " answer instead of their own (single flight)"),
            Map.entry("converge.redis", "Redis lookup time of the prediction cache"),
            Map.entry("converge.breaker.state", "circuit breaker state per dependency: 0 closed, 1 open, 2"
                    + " half-open"),
            Map.entry("converge.auth.denied", "requests refused by access control, by reason (unauthenticated,"
                    + " forbidden, over_rate)"),
            Map.entry("converge.auth.throttled", "requests refused 429 because their key was over its rate, by key id"),
            Map.entry("converge.breaker.ignored", "calls that failed on our side (own event loop late, own pool"
                    + " full) and were not counted against the dependency"),
            Map.entry("converge.pg.pool.size", "connections the feature store's pool holds"),
            Map.entry("converge.pg.pool.in_use", "connections of the feature store's pool in use"),
            Map.entry("converge.pg.pool.waiting", "feature fetches waiting for a connection of the pool"),
            Map.entry("converge.http.slow_clients", "connections and requests cut off for sending too slowly, by"
                    + " outcome"),
            Map.entry("converge.prediction_log.rows", "predictions offered to the prediction log, by outcome"),
            Map.entry("converge.prediction_log.buffered", "rows waiting to be written to the prediction log"),
            Map.entry("converge.alerts.deliveries", "alert webhook deliveries by outcome"),
            Map.entry("converge.alerts.firing", "1 while an alert is firing, by alert"),
            Map.entry("converge.drift.psi", "PSI of a feature's served values against its training baseline, by"
                    + " model and feature"),
            Map.entry("converge.variant.answers", "answers by experiment variant and model version"),
            Map.entry("converge.variant.errors", "failed scorings by experiment variant and model version"),
            Map.entry("converge.shadow.requests", "requests mirrored to shadow variants, by what became of them"),
            Map.entry("converge.shadow.queue", "mirrored requests waiting for the shadow scorer"));

    @Override
    public Meter.Id map(Meter.Id id) {
        String help = HELP.get(id.getName());
        return help == null || help.equals(id.getDescription()) ? id
                : new Meter.Id(id.getName(), Tags.of(id.getTagsAsIterable()), id.getBaseUnit(), help, id.getType());
    }
}
