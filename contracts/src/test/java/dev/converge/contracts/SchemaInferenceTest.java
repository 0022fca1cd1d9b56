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

    @Test
    void missingValueTokensAreNullsForInferenceIngestionAndServingAlike() {
        SchemaInference inf = new SchemaInference();
        for (int i = 0; i < 50; i++) {
            inf.add(java.util.Map.of("income", new RawText(i % 10 == 3 ? "NA" : Integer.toString(1000 + i)),
                    "grade", new RawText(i % 7 == 0 ? "N/A" : i % 2 == 0 ? "A" : "B")));
        }
        FeatureSchema schema = inf.propose(1800);

        FeatureSpec income = schema.feature("income").orElseThrow();
        assertThat(income.type()).as("a numeric column with NA cells").isEqualTo(FeatureType.NUMERIC);
        assertThat(income.nullable()).isTrue();
        assertThat(schema.feature("grade").orElseThrow().type()).isEqualTo(FeatureType.CATEGORICAL);
        assertThat(schema.missingValues()).containsExactly("NA", "NaN", "null", "N/A");

        FeatureValidator v = new FeatureValidator(schema, UnknownFeaturePolicy.REJECT);
        ValidationResult csv = v.validate(java.util.Map.of("income", new RawText("NA"), "grade", new RawText("A")));
        ValidationResult json = v.validate(java.util.Map.of("income", "null", "grade", "B"));
        assertThat(csv.valid()).isTrue();
        assertThat(csv.values().get("income")).isNull();
        assertThat(csv.readAsMissing()).containsEntry("income", "NA");
        assertThat(json.values().get("income")).isNull();
        assertThat(json.readAsMissing()).containsEntry("income", "null");
        assertThat(v.validate(java.util.Map.of("income", "n/a", "grade", "B")).violations())
                .extracting(Violation::reason).containsExactly("wrong_type");

        FeatureSchema strictIncome = new FeatureSchema(java.util.List.of(FeatureSpec.of("income", FeatureType.NUMERIC,
                Temperature.HOT, false)), java.util.List.of("NA"));
        assertThat(new FeatureValidator(strictIncome, UnknownFeaturePolicy.REJECT).validate(java.util.Map.of("income",
                new RawText("NA"))).violations()).extracting(Violation::reason).containsExactly("null_not_allowed");
    }

    @Test
    void tokensAreInTheFingerprintOnlyWhenThereAreAny() {
        java.util.List<FeatureSpec> specs = java.util.List.of(FeatureSpec.of("x", FeatureType.NUMERIC, Temperature.HOT,
                true));
        assertThat(new FeatureSchema(specs, java.util.List.of()).fingerprint())
                .isEqualTo(new FeatureSchema(specs).fingerprint());
        assertThat(new FeatureSchema(specs, java.util.List.of("NA")).fingerprint())
                .isNotEqualTo(new FeatureSchema(specs).fingerprint());
        assertThat(new FeatureSchema(specs, java.util.List.of("NA")))
                .isNotEqualTo(new FeatureSchema(specs, java.util.List.of("?")));
    }
}
