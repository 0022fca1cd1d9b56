package dev.converge.serve.config;

import dev.converge.contracts.config.Settings;

/**
 * The drift job ({@code serve.drift.*}).
 *
 * @param intervalMinutes how often it runs (0: never on its own; {@code POST /admin/drift/run} still runs it)
 * @param windowMinutes   the logged predictions it looks at: those of the last this many minutes
 * @param sampleRows      at most this many of them, sampled uniformly
 * @param psiWarn         PSI above this is a warning
 * @param psiAlert        PSI above this is an alert
 * @param retrainPipeline the pipeline a drift alert retrains the model with ({@code serve.retrain.pipeline});
 *                        null: drift never retrains (the default)
 * @param retrainCommand  the training command ({@code serve.retrain.command}, words separated by spaces,
 *                        {@code {actor}} replaced); empty: this JVM's {@code converge train --pipeline P}
 * @param retrainTimeoutMinutes a retrain running longer is killed and counts as failed
 */
public record DriftSettings(int intervalMinutes, int windowMinutes, int sampleRows, double psiWarn, double psiAlert,
                    String retrainPipeline, java.util.List<String> retrainCommand, int retrainTimeoutMinutes) {
    public static final DriftSettings DEFAULTS = new DriftSettings(60, 60, 10_000, 0.1, 0.25);

    public DriftSettings(int intervalMinutes, int windowMinutes, int sampleRows, double psiWarn, double psiAlert) {
        this(intervalMinutes, windowMinutes, sampleRows, psiWarn, psiAlert, null, java.util.List.of(), 120);
    }

    public boolean retrains() {
        return retrainPipeline != null || !retrainCommand.isEmpty();
    }

    public DriftSettings {
        Checks.require(intervalMinutes >= 0, "serve.drift.interval_minutes must be >= 0, was " + intervalMinutes);
        Checks.require(windowMinutes >= 1, "serve.drift.window_minutes must be >= 1, was " + windowMinutes);
        Checks.require(sampleRows >= 100, "serve.drift.sample_rows must be >= 100, was " + sampleRows);
        Checks.require(psiWarn > 0 && psiAlert >= psiWarn, "serve.drift.psi_warn must be > 0 and at most"
                + " serve.drift.psi_alert, were " + psiWarn + " and " + psiAlert);
        retrainCommand = java.util.List.copyOf(retrainCommand);
        Checks.require(retrainTimeoutMinutes >= 1, "serve.retrain.timeout_minutes must be >= 1, was "
                + retrainTimeoutMinutes);
    }

    public static DriftSettings from(Settings s) {
        int interval = s.integer("serve.drift.interval_minutes", DEFAULTS.intervalMinutes);
        return new DriftSettings(interval, s.integer("serve.drift.window_minutes", interval == 0
                ? DEFAULTS.windowMinutes : interval), s.integer("serve.drift.sample_rows", DEFAULTS.sampleRows),
                Checks.number(s, "serve.drift.psi_warn", DEFAULTS.psiWarn),
                Checks.number(s, "serve.drift.psi_alert", DEFAULTS.psiAlert),
                s.string("serve.retrain.pipeline").orElse(null),
                s.string("serve.retrain.command").map(c -> java.util.List.of(c.trim().split("\\s+")))
                        .orElse(java.util.List.of()), s.integer("serve.retrain.timeout_minutes", 120));
    }
}
