package dev.converge.serve.monitor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LiveMetricsTest {
    @Test
    void aucIsTheMannWhitneyStatisticWithTiesCountingHalf() {
        assertThat(LiveMetrics.auc(List.of(0.9, 0.8), List.of(0.1, 0.2))).isEqualTo(1.0);
        assertThat(LiveMetrics.auc(List.of(0.1, 0.2), List.of(0.9, 0.8))).isEqualTo(0.0);
        assertThat(LiveMetrics.auc(List.of(0.5), List.of(0.5))).isEqualTo(0.5);
        // 3 positives, 2 negatives: pairs won 5 of 6 (0.4 loses to 0.6), tie none
        assertThat(LiveMetrics.auc(List.of(0.9, 0.7, 0.4), List.of(0.6, 0.2))).isCloseTo(5.0 / 6, within(1e-12));
    }

    @Test
    void classifierMetricsFromLabelledPredictions() {
        List<LiveMetrics.Labelled> rows = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            double pGood = i < 50 ? 0.9 : 0.2;
            String observed = i < 45 || i >= 95 ? "good" : "bad";
            rows.add(new LiveMetrics.Labelled(pGood >= 0.5 ? "good" : "bad", Map.of("good", pGood, "bad", 1 - pGood),
                    observed));
        }

        Map<String, Object> m = LiveMetrics.of(rows);

        assertThat(m.get("n")).isEqualTo(100);
        assertThat((double) m.get("accuracy")).isCloseTo(0.90, within(1e-12));
        @SuppressWarnings("unchecked")
        List<Double> ci = (List<Double>) m.get("accuracy_ci95");
        assertThat(ci.get(0)).isBetween(0.82, 0.85);
        assertThat(ci.get(1)).isBetween(0.94, 0.96);
        assertThat(m.get("auc_positive_class")).isEqualTo("good");
        // positives (good): 45 at 0.9, 5 at 0.2; negatives (bad): 5 at 0.9, 45 at 0.2
        double expected = (45 * 45 + 45 * 5 * 0.5 + 5 * 45 * 0.5) / (50.0 * 50);
        assertThat((double) m.get("auc")).isCloseTo(expected, within(1e-12));
        assertThat((double) m.get("log_loss")).isCloseTo(-(45 * Math.log(0.9) + 45 * Math.log(0.8) + 5 * Math.log(0.1)
                + 5 * Math.log(0.2)) / 100, within(1e-12));
    }

    @Test
    void regressionMetrics() {
        Map<String, Object> m = LiveMetrics.of(List.of(new LiveMetrics.Labelled(3.0, null, 1.0),
                new LiveMetrics.Labelled(1.0, null, 1.0)));

        assertThat((double) m.get("rmse")).isCloseTo(Math.sqrt(2), within(1e-12));
        assertThat((double) m.get("mae")).isCloseTo(1.0, within(1e-12));
    }
}
