package dev.converge.serve.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.converge.contracts.config.Settings;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The builders start from the settings' defaults, copy every setting, and validate as the records do. */
class ServeConfigBuilderTest {
    private static Settings settings(Map<String, String> flags) {
        return Settings.load(null, Map.of(), flags);
    }

    @Test
    void aBuilderLeftAloneIsTheConfigurationOfNoSettings() {
        assertThat(ServeConfig.builder().build()).isEqualTo(ServeConfig.from(Settings.empty()));
        assertThat(Resilience.builder().build()).isEqualTo(Resilience.from(Settings.empty()));
    }

    @Test
    void toBuilderCopiesEverySettingAndChangesOnlyWhatItIsTold() {
        ServeConfig set = ServeConfig.from(settings(Map.of("serve.port", "9191", "serve.model", "churn",
                "serve.admin_token", "0123456789abcdef", "serve.event_loops", "3", "serve.unseen_levels", "refuse",
                "serve.alerts.webhook_url", "http://127.0.0.1:1/hook", "serve.redis_url", "none",
                "serve.cache", "always", "serve.prediction_log.sample", "0.5", "serve.graphql.max_depth", "7")));
        assertThat(set.toBuilder().build()).isEqualTo(set);
        assertThat(set.resilience().toBuilder().build()).isEqualTo(set.resilience());

        ServeConfig moved = set.toBuilder().port(0).build();
        assertThat(moved.port()).isZero();
        assertThat(moved.toBuilder().port(9191).build()).isEqualTo(set);
        Resilience r = set.resilience().toBuilder().maxInFlight(7).build();
        assertThat(r.maxInFlight()).isEqualTo(7);
        assertThat(r.toBuilder().maxInFlight(set.resilience().maxInFlight()).build()).isEqualTo(set.resilience());
    }

    @Test
    void whatABuilderBuildsIsValidatedWithTheSettingsName() {
        assertThatThrownBy(() -> ServeConfig.builder().eventLoops(0).build())
                .hasMessageContaining("serve.event_loops must be >= 1, was 0");
        assertThatThrownBy(() -> Resilience.builder().maxQueueMillis(100).queueDeadlineMillis(50).build())
                .hasMessageContaining("serve.queue_deadline_ms must be >= serve.max_queue_ms");
    }
}
