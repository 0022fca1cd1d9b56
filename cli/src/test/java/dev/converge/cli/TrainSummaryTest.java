package dev.converge.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.converge.registry.ModelVersion;
import dev.converge.train.Metric;
import dev.converge.train.pipeline.Outcome;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** train's last line says whether the version was promoted, why, and what serving will do about it. */
class TrainSummaryTest {
    private static ModelVersion version(int v) {
        return new ModelVersion("ridership", v, "glm", "file:///m.zip", "00", 1, "3.44.0.1", "1.40", "abc", "{}",
                "fp", Instant.EPOCH, Instant.EPOCH, Map.of("rmse", 1.0), Instant.EPOCH);
    }

    private static Outcome outcome(boolean promoted, String why) {
        return new Outcome(UUID.randomUUID(), List.of(), null, Metric.RMSE, null, version(2), promoted, null, why);
    }

    @Test
    void aVersionNotPromotedWithNoChampionSaysServingWaitsAndWhatToRun() {
        String line = TrainCommand.promotionLine(outcome(false, "measured on 89 holdout rows, fewer than"
                + " auto_promote.min_holdout_rows (100)"), null);

        assertThat(line).startsWith("Registered ridership v2, NOT promoted: measured on 89 holdout rows")
                .contains("has no champion").contains("converge models promote ridership 2 --reason")
                .doesNotContain("Champion registered");
    }

    @Test
    void aVersionNotPromotedBesideAChampionNamesItAndAPromotedOneSaysSo() {
        assertThat(TrainCommand.promotionLine(outcome(false, "rmse 1.0 vs champion v1 0.9, gain -0.1 below margin 0"),
                version(1))).contains("NOT promoted").contains("The champion is still v1");
        assertThat(TrainCommand.promotionLine(outcome(true, "auto-promoted: first champion (rmse 1.0)"), null))
                .startsWith("Promoted ridership v2 to champion (auto-promoted: first champion");
    }
}
