package dev.converge.serve.path;

import static org.assertj.core.api.Assertions.assertThat;

import dev.converge.contracts.Violation;
import dev.converge.serve.model.ModelHandle;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RequestDecoderTest {
    @Test
    void aRequestIsAnEntityFeaturesOrBoth() {
        RequestDecoder.Decoded d = RequestDecoder.decode(new JsonObject().put("entity_id", 42)
                .put("features", new JsonObject().put("x", 1)), "");

        assertThat(d.ok()).isTrue();
        assertThat(d.request().entityId()).isEqualTo("42");
        assertThat(d.request().features()).containsEntry("x", 1);
        assertThat(RequestDecoder.decode(Map.of("features", Map.of("y", "a")), "").request().features())
                .containsEntry("y", "a");
    }

    @Test
    void anEntityIdPostgresqlWouldRefuseIsTheRequestsError() {
        RequestDecoder.Decoded nul = RequestDecoder.decode(new JsonObject().put("entity_id", "a\u0000b"), "");
        RequestDecoder.Decoded lone = RequestDecoder.decode(new JsonObject().put("entity_id", "\uD800"), "rows[2].");

        assertThat(nul.violations()).extracting(Violation::feature, Violation::reason)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("entity_id", "bad_entity_id"));
        assertThat(nul.violations().get(0).message()).contains("NUL at index 1");
        assertThat(lone.violations().get(0).feature()).isEqualTo("rows[2].entity_id");
        assertThat(lone.violations().get(0).message()).contains("unpaired surrogate");
    }

    @Test
    void everyShapeProblemIsNamed() {
        assertThat(RequestDecoder.decode(null, "").violations()).extracting(Violation::feature, Violation::reason)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("(body)", "not_an_object"));
        assertThat(RequestDecoder.decode(new JsonObject().put("entity", "1").put("features", 3), "")
                .violations()).extracting(Violation::feature, Violation::reason).containsExactlyInAnyOrder(
                org.assertj.core.groups.Tuple.tuple("entity", "unknown_field"),
                org.assertj.core.groups.Tuple.tuple("features", "not_an_object"));
        assertThat(RequestDecoder.decode(new JsonObject(), "").violations()).extracting(Violation::reason)
                .containsExactly("empty_request");
    }

    @Test
    void anEventTimeIsReadForDerivedFeaturesAndABadOneIsNamed() {
        RequestDecoder.Decoded ok = RequestDecoder.decode(new JsonObject().put("entity_id", "7")
                .put("event_time", "2024-06-01T00:00:00Z"), "");
        RequestDecoder.Decoded bad = RequestDecoder.decode(new JsonObject().put("entity_id", "7")
                .put("event_time", "saturday"), "rows[1].");

        assertThat(ok.request().eventTime()).isEqualTo(java.time.Instant.parse("2024-06-01T00:00:00Z"));
        assertThat(bad.violations()).extracting(Violation::feature, Violation::reason)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("rows[1].event_time", "bad_event_time"));
    }

    @Test
    void aModelsDerivedFeaturesAreComputedFromTheRequestAndEncoded() throws Exception {
        byte[] bytes;
        try (var in = getClass().getResourceAsStream("/models/glm.zip")) {
            bytes = in.readAllBytes();
        }
        dev.converge.model.Mojo mojo = dev.converge.model.Mojo.fromBytes(bytes, "glm.zip");
        dev.converge.contracts.FeatureSchema schema = new dev.converge.contracts.FeatureSchema(java.util.List.of(
                dev.converge.contracts.FeatureSpec.of("annual_inc", dev.converge.contracts.FeatureType.NUMERIC,
                        dev.converge.contracts.Temperature.HOT, true)));
        ModelHandle m = new ModelHandle("m", 1, "glm", mojo, schema, 1.0, true, "0".repeat(64), java.util.List.of())
                .withDerived(java.util.List.of(
                        new dev.converge.contracts.DerivedFeature("dow", dev.converge.contracts.DerivedFeature.Op
                                .DAY_OF_WEEK, "event_time", null),
                        new dev.converge.contracts.DerivedFeature("inc_b", dev.converge.contracts.DerivedFeature.Op
                                .BUCKET, "annual_inc", java.util.List.of(50_000.0))));

        Map<String, Object> values = m.withDerived(Map.of("annual_inc", 72_000.0),
                java.time.Instant.parse("2024-06-02T10:00:00Z"));

        assertThat(values).containsEntry("dow", "sun").containsEntry("inc_b", ">=50000");
        assertThat(m.encode(values)).containsEntry("dow", "sun").containsEntry("inc_b", ">=50000")
                .containsEntry("annual_inc", 72_000.0);
        assertThat(m.readsEventTime()).isTrue();
    }
}
