package dev.converge.contracts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The vector feature type in the shared contracts: validation, normalization, fingerprint and encoding. */
class VectorFeatureTest {
    static final FeatureSchema SCHEMA = new FeatureSchema(List.of(FeatureSpec.vector("emb", 3, null, false)));
    static final FeatureValidator V = new FeatureValidator(SCHEMA, UnknownFeaturePolicy.REJECT);

    @Test
    void anArrayOfTheDeclaredLengthIsNormalizedToFloats() {
        ValidationResult r = V.validate(Map.of("emb", List.of(1, 0.1, -2.5e-3)));
        assertThat(r.valid()).isTrue();
        FeatureVector v = (FeatureVector) r.values().get("emb");
        assertThat(v.toArray()).containsExactly(1f, 0.1f, -2.5e-3f);
        assertThat(v.toString()).isEqualTo("[1.0,0.1,-0.0025]");
        assertThat(V.validate(Map.of("emb", new RawText(" [1, 2.5, -0] "))).values().get("emb"))
                .as("a CSV cell holding the JSON array").isEqualTo(FeatureVector.of(1f, 2.5f, 0f));
        assertThat(V.validate(Map.of("emb", v)).values().get("emb")).isSameAs(v);
    }

    @Test
    void everyWrongVectorIsRefusedNamingTheFeatureAndTheReason() {
        assertThat(reason(List.of(1, 2))).isEqualTo("wrong_dimension");
        assertThat(message(List.of(1, 2))).contains("'emb'", "vector of 3", "one of 2");
        assertThat(reason(List.of(1, "2", 3))).isEqualTo("wrong_type");
        assertThat(message(List.of(1, "2", 3))).contains("component 1");
        assertThat(reason(java.util.Arrays.asList(1, null, 3))).isEqualTo("wrong_type");
        assertThat(reason(List.of(1, 1e39, 3))).isEqualTo("out_of_range");
        assertThat(reason(List.of(1, Double.NaN, 3))).isEqualTo("non_finite");
        assertThat(reason(new RawText("[1,2,]"))).isEqualTo("wrong_type");
        assertThat(reason(new RawText("[1,2,NaN]"))).isEqualTo("wrong_type");
        assertThat(reason(new RawText("1,2,3"))).isEqualTo("wrong_type");
        assertThat(reason(5.0)).isEqualTo("wrong_type");
        assertThat(reason(Map.of("a", 1))).isEqualTo("wrong_type");
        assertThat(V.validate(Map.of()).violations().get(0).reason()).isEqualTo("missing");
    }

    private static String reason(Object value) {
        return V.validate(Map.of("emb", value)).violations().get(0).reason();
    }

    private static String message(Object value) {
        return V.validate(Map.of("emb", value)).violations().get(0).message();
    }

    @Test
    void aVectorSpecNeedsADimensionAndIsCold() {
        assertThatThrownBy(() -> new FeatureSpec("e", FeatureType.VECTOR, Temperature.COLD, false, null, null, null,
                false)).hasMessageContaining("dimension");
        assertThatThrownBy(() -> new FeatureSpec("e", FeatureType.VECTOR, Temperature.HOT, false, null, null, null,
                false, 4, null)).hasMessageContaining("cold");
        assertThatThrownBy(() -> new FeatureSpec("e", FeatureType.NUMERIC, Temperature.HOT, false, null, null, null,
                false, 4, null)).hasMessageContaining("only to vector");
        assertThatThrownBy(() -> FeatureSpec.vector("e", FeatureSpec.MAX_DIMENSION + 1, null, false))
                .hasMessageContaining("between 1 and 2000");
    }

    @Test
    void theFingerprintChangesWithTheDimensionAndTheMetricOnly() {
        String base = new FeatureSchema(List.of(FeatureSpec.vector("emb", 3, VectorMetric.COSINE, false))).fingerprint();
        assertThat(SCHEMA.fingerprint()).as("cosine is the default").isEqualTo(base);
        assertThat(new FeatureSchema(List.of(FeatureSpec.vector("emb", 4, null, false))).fingerprint()).isNotEqualTo(base);
        assertThat(new FeatureSchema(List.of(FeatureSpec.vector("emb", 3, VectorMetric.L2, false))).fingerprint())
                .isNotEqualTo(base);
    }

    @Test
    void aVectorIsOneNumericModelInputPerComponentFromValidatedAndStoredValuesAlike() {
        FeatureSpec spec = SCHEMA.feature("emb").orElseThrow();
        assertThat(FeatureEncoding.columns(spec)).containsExactly("emb[0]", "emb[1]", "emb[2]");
        FeatureVector validated = (FeatureVector) V.validate(Map.of("emb", List.of(0.1, 0.2, 0.3))).values().get("emb");
        List<Object> stored = List.of(0.1f, 0.2f, 0.3f).stream().map(f -> (Object) Double.valueOf(Float.toString(f)))
                .toList(); // what the store's JSON gives back: the floats' shortest decimal text
        for (int i = 0; i < 3; i++) {
            assertThat(FeatureEncoding.component(validated, i)).isEqualTo(FeatureEncoding.component(stored, i));
        }
        assertThat(FeatureEncoding.columnValue(Map.of("emb", stored), "emb[2]")).isEqualTo((double) 0.3f);
        assertThat(FeatureEncoding.columnValue(Map.of("emb", stored), "emb[3]")).isNull();
        assertThat(FeatureEncoding.source(SCHEMA, "emb[1]")).contains(spec);
        assertThat(FeatureEncoding.source(SCHEMA, "emb[3]")).isEmpty();
        assertThat(FeatureEncoding.component(null, 0)).isNaN();
    }

    @Test
    void metricsMatchTheirDefinitions() {
        float[] a = {1, 0};
        float[] b = {0, 2};
        assertThat(VectorMetric.COSINE.distance(a, b)).isEqualTo(1.0);
        assertThat(VectorMetric.L2.distance(a, b)).isEqualTo(Math.sqrt(5));
        assertThat(VectorMetric.INNER_PRODUCT.distance(a, new float[] {3, 4})).isEqualTo(-3.0);
    }
}
