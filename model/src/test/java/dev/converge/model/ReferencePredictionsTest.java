package dev.converge.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ReferencePredictionsTest {
    @Test
    void theStoredFormRoundTripsAndParityUsesOneTolerance() {
        ReferencePredictions ref = new ReferencePredictions(List.of(Map.of("x", 1.0)),
                List.<double[]>of(new double[] {0.25, 0.75}));

        ReferencePredictions back = ReferencePredictions.fromStored(ref.rows(), List.of(Map.of("values",
                List.of(0.25, 0.75))));

        assertThat(ref.storedOutputs().get(0).get("values")).isEqualTo(new double[] {0.25, 0.75});
        assertThat(back.outputs().get(0)).containsExactly(0.25, 0.75);
        assertThat(Parity.mismatch(0, new double[] {0.25, 0.75}, new double[] {0.25 + 5e-10, 0.75})).isEmpty();
        assertThat(Parity.mismatch(4, new double[] {0.25, 0.75}, new double[] {0.25, 0.75 + 2e-9}))
                .hasValueSatisfying(m -> assertThat(m).contains("reference row 4, output 1"));
        assertThat(Parity.mismatch(0, new double[] {0.25, 0.75}, new double[] {0.25})).isPresent();
        assertThat(Parity.mismatch(0, new double[] {0.25}, new double[] {Double.NaN})).isPresent();
    }

    @Test
    void aMalformedStoredFormNamesTheEntry() {
        assertThatThrownBy(() -> ReferencePredictions.fromStored(List.of(Map.of(), Map.of()), List.of(
                Map.of("values", List.of(1.0)), Map.of("values", List.of("x")))))
                .hasMessageContaining("reference prediction 1, output 0 is not a number");
        assertThatThrownBy(() -> ReferencePredictions.fromStored(List.of(Map.of()), List.of(Map.of())))
                .hasMessageContaining("reference prediction 0 has no 'values' list");
    }
}
