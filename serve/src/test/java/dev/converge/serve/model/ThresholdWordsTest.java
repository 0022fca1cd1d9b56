package dev.converge.serve.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class ThresholdWordsTest {

    @Test
    void oldWordsAreCorrectedWhenTheThresholdIsTheValidationRowsMaxF1ToEveryDigit() {
        Map<String, Object> old = Map.of("threshold_metric", "h2o: max f1 on the training rows",
                "thresholds_on_validation", Map.of("f1", 0.4123456789, "f2", 0.2));

        assertThat(ModelLoader.thresholdWords(old, 0.4123456789)).isEqualTo("h2o: max f1 on the validation rows");
        assertThat(ModelLoader.thresholdWords(old, 0.4123456788)).as("not the validation rows' threshold")
                .isEqualTo("h2o: max f1 on the training rows");
    }

    @Test
    void wordsRecordedByAPipelineAreKeptAndARegressionModelHasNone() {
        Map<String, Object> chosen = Map.of("threshold_metric", "max f2 on the validation rows",
                "thresholds_on_validation", Map.of("f1", 0.4, "f2", 0.2));

        assertThat(ModelLoader.thresholdWords(chosen, 0.4)).isEqualTo("max f2 on the validation rows");
        assertThat(ModelLoader.thresholdWords(Map.of(), null)).isNull();
        assertThat(ModelLoader.thresholdWords(Map.of(), 0.5)).as("nothing recorded: nothing guessed").isNull();
    }
}
