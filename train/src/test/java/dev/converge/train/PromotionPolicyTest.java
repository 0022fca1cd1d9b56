package dev.converge.train;

import static org.assertj.core.api.Assertions.assertThat;

import dev.converge.registry.ModelVersion;
import dev.converge.train.pipeline.PromotionPolicy;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Auto-promotion refuses what cannot be trusted: a tiny holdout, a regression worse than the mean. */
class PromotionPolicyTest {
    private static ModelVersion version(Map<String, Object> metrics) {
        return new ModelVersion("m", 2, "gbm", "file:///m.zip", "00", 1, "3.44.0.1", "1.40", "abc", "{}", "fp",
                Instant.EPOCH, Instant.EPOCH, metrics, Instant.EPOCH);
    }

    @Test
    void aModelMeasuredOnTooFewHoldoutRowsIsNotPromotedEvenAsTheFirstChampion() {
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        Optional<String> d = new PromotionPolicy(0.0).decide(version(Map.of("auc", 0.99, "holdout_rows", 6)),
                Optional.empty(), Metric.AUC, new PrintStream(log, true, StandardCharsets.UTF_8));

        assertThat(d).isEmpty();
        assertThat(log.toString(StandardCharsets.UTF_8)).contains("measured on 6 holdout rows, fewer than"
                + " auto_promote.min_holdout_rows (100)");
        assertThat(new PromotionPolicy(0.0).decide(version(Map.of("auc", 0.99, "holdout_rows", 600)),
                Optional.empty(), Metric.AUC, new PrintStream(new ByteArrayOutputStream(), true,
                        StandardCharsets.UTF_8))).isPresent();
    }

    @Test
    void aRegressionWorseThanTheMeanIsNotPromoted() {
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        Optional<String> d = new PromotionPolicy(0.0, 10).decide(version(Map.of("rmse", 88_575.0, "holdout_rows", 500,
                "worse_than_mean", true, "mean_baseline_rmse", 79_873.0, "r2", -0.23)), Optional.empty(), Metric.RMSE,
                new PrintStream(log, true, StandardCharsets.UTF_8));

        assertThat(d).isEmpty();
        assertThat(log.toString(StandardCharsets.UTF_8)).contains("worse than always predicting the mean");
    }
}
