package dev.converge.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What train, models list and feedback metrics print: figures with sensible digits, tables with aligned columns. */
class FiguresTest {
    @Test
    void aVersionsMetricsAsALineAPersonReads() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("auc", 0.7575352898270905);
        m.put("logloss", 0.18829875334177618);
        m.put("holdout_rows", 1930);
        m.put("threshold", 0.5116293357366896);
        m.put("threshold_metric", "h2o: max f1 on the validation rows");
        m.put("positive_class", "good");
        m.put("thresholds_on_validation", Map.of("f1", 0.67)); // kept for models show, not in the line

        assertThat(Figures.line(m)).isEqualTo("auc 0.7575, logloss 0.1883 on 1,930 test rows; threshold 0.5116"
                + " (h2o: max f1 on the validation rows), positive class good");
        assertThat(Figures.line(Map.of("n", 60, "accuracy", 0.8666666666666667, "accuracy_ci95",
                List.of(0.758, 0.931)))).isEqualTo("accuracy 0.8667 [0.7580, 0.9310] on 60 labelled predictions");
        assertThat(Figures.number(88575.123)).isEqualTo("88,575.1");
        assertThat(Figures.line(Map.of())).isEqualTo("(no metrics)");
    }

    @Test
    void aTableAlignsItsColumns() {
        String t = Figures.table(List.of("MODEL", "VERSION", "ROLE"), List.of(List.of("credit_risk", "2", "champion"),
                List.of("m", "10", "")));
        List<String> lines = t.lines().toList();
        assertThat(lines).hasSize(3);
        assertThat(lines.get(0).indexOf("VERSION")).isEqualTo(lines.get(1).indexOf("2"))
                .isEqualTo(lines.get(2).indexOf("10"));
    }
}
