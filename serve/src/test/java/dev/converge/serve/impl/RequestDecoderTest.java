package dev.converge.serve.impl;

import static org.assertj.core.api.Assertions.assertThat;

import dev.converge.contracts.Violation;
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
}
