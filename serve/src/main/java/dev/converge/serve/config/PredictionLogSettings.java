package dev.converge.serve.config;

import dev.converge.contracts.config.Settings;

/**
 * The prediction log ({@code serve.prediction_log.*}).
 *
 * @param on            {@code serve.prediction_log=on|off}
 * @param sampleRate    share of predictions logged, 0..1 ({@code sample})
 * @param bufferRows    predictions waiting to be written; beyond this they are dropped and counted
 * @param batchRows     rows per INSERT
 * @param flushMillis   longest wait before a partial batch is written
 * @param retentionDays partitions (one per UTC day) older than this are dropped
 * @param maxRowsPerSecond at most this many predictions a second are logged, the rest counted
 *                      ({@code over_rate_bound}): the log's cost stays bounded under any load (docs/perf.md)
 */
public record PredictionLogSettings(boolean on, double sampleRate, int bufferRows, int batchRows, long flushMillis,
                            int retentionDays, int maxRowsPerSecond) {
    public static final PredictionLogSettings DEFAULTS = new PredictionLogSettings(true, 1.0, 100_000, 1000, 200, 30, 1000);
    public static final PredictionLogSettings OFF = new PredictionLogSettings(false, 1.0, 100_000, 1000, 200, 30, 1000);

    public PredictionLogSettings {
        Checks.require(sampleRate >= 0 && sampleRate <= 1, "serve.prediction_log.sample must be within 0..1, was "
                + sampleRate);
        Checks.require(bufferRows >= 1, "serve.prediction_log.buffer_rows must be >= 1, was " + bufferRows);
        Checks.require(batchRows >= 1, "serve.prediction_log.batch_rows must be >= 1, was " + batchRows);
        Checks.require(flushMillis >= 1, "serve.prediction_log.flush_ms must be >= 1, was " + flushMillis);
        Checks.require(retentionDays >= 1, "serve.prediction_log.retention_days must be >= 1, was " + retentionDays);
        Checks.require(maxRowsPerSecond >= 1, "serve.prediction_log.max_rows_per_s must be >= 1, was "
                + maxRowsPerSecond);
    }

    public static PredictionLogSettings from(Settings s) {
        String on = s.string("serve.prediction_log").orElse("on");
        Checks.require(on.equals("on") || on.equals("off"), "serve.prediction_log must be on or off, was '" + on + "'");
        double rate;
        String r = s.string("serve.prediction_log.sample").orElse("1.0");
        try {
            rate = Double.parseDouble(r);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("serve.prediction_log.sample must be a number within 0..1, was '"
                    + r + "'");
        }
        return new PredictionLogSettings(on.equals("on"), rate, s.integer("serve.prediction_log.buffer_rows",
                DEFAULTS.bufferRows), s.integer("serve.prediction_log.batch_rows", DEFAULTS.batchRows),
                s.integer("serve.prediction_log.flush_ms", (int) DEFAULTS.flushMillis),
                s.integer("serve.prediction_log.retention_days", DEFAULTS.retentionDays),
                s.integer("serve.prediction_log.max_rows_per_s", DEFAULTS.maxRowsPerSecond));
    }
}
