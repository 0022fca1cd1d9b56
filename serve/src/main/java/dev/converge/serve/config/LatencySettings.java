package dev.converge.serve.config;

import dev.converge.contracts.config.Settings;

/**
 * LatencySettings attribution ({@code serve.latency.*}).
 *
 * @param alertMillis        the p99 of the service's latency above which an interval is slow ({@code alert_ms})
 * @param intervalSeconds    how often the stage times are evaluated ({@code interval_s})
 * @param sustainedIntervals slow intervals in a row before the alert fires ({@code sustained_intervals})
 */
public record LatencySettings(double alertMillis, int intervalSeconds, int sustainedIntervals) {
    public static final LatencySettings DEFAULTS = new LatencySettings(50, 10, 3);

    public LatencySettings {
        Checks.require(alertMillis > 0, "serve.latency.alert_ms must be > 0, was " + alertMillis);
        Checks.require(intervalSeconds >= 1, "serve.latency.interval_s must be >= 1, was " + intervalSeconds);
        Checks.require(sustainedIntervals >= 1, "serve.latency.sustained_intervals must be >= 1, was "
                + sustainedIntervals);
    }

    public static LatencySettings from(Settings s) {
        return new LatencySettings(Checks.number(s, "serve.latency.alert_ms", DEFAULTS.alertMillis),
                s.integer("serve.latency.interval_s", DEFAULTS.intervalSeconds),
                s.integer("serve.latency.sustained_intervals", DEFAULTS.sustainedIntervals));
    }
}
