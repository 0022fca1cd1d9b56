package dev.converge.serve;

import dev.converge.serve.config.GraphQlSettings;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.converge.contracts.config.Settings;
import dev.converge.serve.config.ServeConfig;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** serve.graphql.* settings: defaults, overrides, and a clear error for each bad value. */
class GraphQlSettingsTest {
    static GraphQlSettings from(Map<String, String> env) {
        return ServeConfig.from(Settings.load(null, env, Map.of())).graphql();
    }

    @Test
    void defaultsAndOverrides() {
        assertThat(from(Map.of())).isEqualTo(GraphQlSettings.DEFAULTS);

        GraphQlSettings g = from(Map.of("CONVERGE_SERVE_GRAPHQL_MAX_DEPTH", "7",
                "CONVERGE_SERVE_GRAPHQL_INTROSPECTION", "off",
                "CONVERGE_SERVE_GRAPHQL_WEIGHTS", "Entity.prediction=20, Model.events=1"));

        assertThat(g.maxDepth()).isEqualTo(7);
        assertThat(g.introspection()).isFalse();
        assertThat(g.weight("Entity.prediction")).isEqualTo(20);
        assertThat(g.weight("Model.events")).isEqualTo(1);
        assertThat(g.weight("Entity.history")).as("a default kept").isEqualTo(2);
        assertThat(g.weight("Entity.id")).as("unlisted").isEqualTo(1);
    }

    @Test
    void badValuesNameTheSettingAndTheValue() {
        assertThatThrownBy(() -> from(Map.of("CONVERGE_SERVE_GRAPHQL_WEIGHTS", "prediction=5")))
                .hasMessageContaining("serve.graphql.weights").hasMessageContaining("prediction=5");
        assertThatThrownBy(() -> from(Map.of("CONVERGE_SERVE_GRAPHQL_WEIGHTS", "Entity.history=-1")))
                .hasMessageContaining("serve.graphql.weights");
        assertThatThrownBy(() -> from(Map.of("CONVERGE_SERVE_GRAPHQL_INTROSPECTION", "maybe")))
                .hasMessageContaining("serve.graphql.introspection").hasMessageContaining("maybe");
        assertThatThrownBy(() -> from(Map.of("CONVERGE_SERVE_GRAPHQL_MAX_DEPTH", "1")))
                .hasMessageContaining("serve.graphql.max_depth must be >= 2, was 1");
    }
}
