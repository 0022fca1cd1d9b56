package dev.converge.contracts;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SchemaInferenceTest {
    private static Map<String, Object> row(String... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put(kv[i], new RawText(kv[i + 1]));
        }
        return m;
    }

    @Test
    void infersTypesNullabilityAndTemperature() {
        SchemaInference inf = new SchemaInference();
        for (int i = 0; i < 300; i++) {
            inf.add(row("amount", Integer.toString(i * 10), "grade", i % 2 == 0 ? "A" : "B",
                    "flag", i % 3 == 0 ? "true" : "FALSE", "day", "2001-02-" + String.format("%02d", i % 28 + 1),
                    "speed", i % 5 == 0 ? "" : "120.5", "comment", "free text number " + i));
        }

        FeatureSchema s = inf.propose(1800);

        assertThat(s.names()).containsExactly("amount", "grade", "flag", "day", "speed", "comment");
        assertThat(s.feature("amount").orElseThrow().type()).isEqualTo(FeatureType.NUMERIC);
        assertThat(s.feature("grade").orElseThrow().type()).isEqualTo(FeatureType.CATEGORICAL);
        assertThat(s.feature("flag").orElseThrow().type()).isEqualTo(FeatureType.BOOLEAN);
        assertThat(s.feature("day").orElseThrow().type()).isEqualTo(FeatureType.TIMESTAMP);
        assertThat(s.feature("speed").orElseThrow().nullable()).isTrue();
        assertThat(s.feature("amount").orElseThrow().nullable()).isFalse();
        assertThat(s.feature("comment").orElseThrow().type()).isEqualTo(FeatureType.TEXT);
        assertThat(s.feature("comment").orElseThrow().temperature()).isEqualTo(Temperature.COLD);
        assertThat(s.feature("amount").orElseThrow().temperature()).isEqualTo(Temperature.HOT);
    }

    @Test
    void demotesTheWidestHotColumnsToFitTheBudget() {
        SchemaInference inf = new SchemaInference();
        inf.add(row("small", "1", "wide", "x".repeat(1500), "other", "yy"));
        inf.add(row("small", "2", "wide", "y".repeat(1500), "other", "yy"));

        FeatureSchema s = inf.propose(200);

        assertThat(s.feature("wide").orElseThrow().temperature()).isEqualTo(Temperature.COLD);
        assertThat(s.feature("small").orElseThrow().temperature()).isEqualTo(Temperature.HOT);
        assertThat(s.feature("other").orElseThrow().temperature()).isEqualTo(Temperature.HOT);
    }
}
