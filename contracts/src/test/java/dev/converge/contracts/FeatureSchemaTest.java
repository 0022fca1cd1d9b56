package dev.converge.contracts;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class FeatureSchemaTest {
    private static FeatureSchema schema(FeatureSpec... specs) {
        return new FeatureSchema(List.of(specs));
    }

    @Test
    void fingerprintIsStableAndSensitiveToEveryAttribute() {
        FeatureSpec a = FeatureSpec.of("a", FeatureType.NUMERIC, Temperature.HOT, false);
        FeatureSpec b = FeatureSpec.of("b", FeatureType.CATEGORICAL, Temperature.HOT, true);
        String base = schema(a, b).fingerprint();

        assertThat(schema(a, b).fingerprint()).isEqualTo(base).hasSize(64);
        assertThat(schema(b, a).fingerprint()).as("order").isNotEqualTo(base);
        assertThat(schema(a, b.withTemperature(Temperature.COLD)).fingerprint()).as("temperature").isNotEqualTo(base);
        assertThat(schema(a, FeatureSpec.of("b", FeatureType.CATEGORICAL, Temperature.HOT, false)).fingerprint())
                .as("nullable").isNotEqualTo(base);
        assertThat(schema(new FeatureSpec("a", FeatureType.NUMERIC, Temperature.HOT, false, 0.0, null, null, false), b)
                .fingerprint()).as("range").isNotEqualTo(base);
    }

    @Test
    void lengthPrefixingPreventsAmbiguousConcatenation() {
        FeatureSpec ab = new FeatureSpec("ab", FeatureType.CATEGORICAL, Temperature.HOT, false, null, null,
                List.of("c"), false);
        FeatureSpec a = new FeatureSpec("a", FeatureType.CATEGORICAL, Temperature.HOT, false, null, null,
                List.of("bc"), false);

        assertThat(schema(ab).fingerprint()).isNotEqualTo(schema(a).fingerprint());
    }

    @Test
    void withAppendsNewFeaturesAndReplacesKnownOnesInPlace() {
        FeatureSchema s = schema(FeatureSpec.of("a", FeatureType.NUMERIC, Temperature.HOT, false));

        FeatureSchema grown = s.with(FeatureSpec.of("b", FeatureType.TEXT, Temperature.COLD, true))
                .with(FeatureSpec.of("a", FeatureType.NUMERIC, Temperature.HOT, true));

        assertThat(grown.names()).containsExactly("a", "b");
        assertThat(grown.feature("a").orElseThrow().nullable()).isTrue();
    }
}
