package dev.converge.store.registry;

import dev.converge.registry.ChampionHistory;
import dev.converge.registry.ModelEvent;
import dev.converge.registry.ModelRegistry;
import dev.converge.registry.ModelVersion;
import dev.converge.registry.NewModelVersion;
import dev.converge.registry.ModelReference;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.converge.contracts.FeatureSchema;
import dev.converge.contracts.FeatureSpec;
import dev.converge.contracts.FeatureType;
import dev.converge.contracts.Temperature;
import dev.converge.store.TestDatabase;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class ModelRegistryTest {
    static TestDatabase t;
    static ModelRegistry registry;
    static final AtomicInteger names = new AtomicInteger();

    @BeforeAll
    static void start() {
        t = new TestDatabase();
        registry = new ModelRegistry(t.db.dataSource());
    }

    @AfterAll
    static void stop() throws Exception {
        t.close();
    }

    static NewModelVersion model(String name) {
        FeatureSchema schema = new FeatureSchema(List.of(FeatureSpec.of("x", FeatureType.NUMERIC, Temperature.HOT, false)));
        return new NewModelVersion(name, "gbm", "file:///models/" + name + ".zip", "a".repeat(64), 1234, "3.44.0.1",
                "1.40", "0123abc", schema, Instant.parse("2024-01-01T00:00:00Z"), Instant.parse("2024-06-01T00:00:00Z"),
                Map.of("auc", 0.81));
    }

    @Test
    void registeredVersionsRecordEverythingAndCountUp() throws Exception {
        String name = "m" + names.incrementAndGet();

        ModelVersion v1 = registry.register(model(name), "test");
        ModelVersion v2 = registry.register(model(name), "test");

        assertThat(v1.version()).isEqualTo(1);
        assertThat(v2.version()).isEqualTo(2);
        assertThat(v1.h2oVersion()).isEqualTo("3.44.0.1");
        assertThat(v1.schemaFingerprint()).isEqualTo(model(name).featureSchema().fingerprint());
        assertThat(v1.metrics()).containsEntry("auc", 0.81);
        assertThat(v1.trainingWindowEnd()).isEqualTo("2024-06-01T00:00:00Z");
        assertThat(registry.history(name)).extracting(ModelEvent::type)
                .containsExactly(ModelEvent.Type.REGISTERED, ModelEvent.Type.REGISTERED);
    }

    @Test
    void updateDeleteAndTruncateOnModelVersionsFail() throws Exception {
        String name = "m" + names.incrementAndGet();
        registry.register(model(name), "test");

        assertThatThrownBy(() -> t.execute("UPDATE model_versions SET artifact_sha256 = '" + "b".repeat(64)
                + "' WHERE name = '" + name + "'")).isInstanceOf(SQLException.class)
                .hasMessageContaining("model_versions is append-only: UPDATE is not allowed");
        assertThatThrownBy(() -> t.execute("DELETE FROM model_versions WHERE name = '" + name + "'"))
                .isInstanceOf(SQLException.class).hasMessageContaining("DELETE is not allowed");
        assertThatThrownBy(() -> t.execute("TRUNCATE model_versions CASCADE"))
                .isInstanceOf(SQLException.class).hasMessageContaining("TRUNCATE is not allowed");
        assertThatThrownBy(() -> t.execute("DELETE FROM model_events WHERE name = '" + name + "'"))
                .isInstanceOf(SQLException.class).hasMessageContaining("model_events is append-only");
        assertThat(registry.show(name, 1).orElseThrow().artifactSha256()).isEqualTo("a".repeat(64));
    }

    @Test
    void theChampionFollowsPromoteAndRollbackEvents() throws Exception {
        String name = "m" + names.incrementAndGet();
        for (int i = 0; i < 3; i++) {
            registry.register(model(name), "test");
        }
        assertThat(registry.champion(name)).isEmpty();

        registry.promote(name, 1, "alice", "first");
        registry.promote(name, 2, "alice", "better auc");
        registry.promote(name, 3, "bob", "even better");
        assertThat(registry.champion(name).orElseThrow().version()).isEqualTo(3);

        ModelEvent back = registry.rollback(name, "carol", "latency regression");
        assertThat(back.version()).isEqualTo(2);
        assertThat(registry.champion(name).orElseThrow().version()).isEqualTo(2);

        registry.rollback(name, "carol", "still bad");
        assertThat(registry.champion(name).orElseThrow().version()).isEqualTo(1);
        assertThatThrownBy(() -> registry.rollback(name, "carol", "again"))
                .hasMessageContaining("no earlier champion");

        registry.promote(name, 3, "bob", "fixed");
        registry.demote(name, 3, "bob", "broken after all");
        assertThat(registry.champion(name).orElseThrow().version()).isEqualTo(1);
        assertThat(registry.history(name)).extracting(ModelEvent::type).endsWith(ModelEvent.Type.ROLLED_BACK,
                ModelEvent.Type.ROLLED_BACK, ModelEvent.Type.PROMOTED, ModelEvent.Type.DEMOTED);
    }

    @Test
    void promotingAnUnknownVersionIsRefusedWithItsName() throws Exception {
        String name = "m" + names.incrementAndGet();
        registry.register(model(name), "test");

        assertThatThrownBy(() -> registry.promote(name, 9, "alice", "typo"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("has no version 9");
        assertThat(registry.history(name)).hasSize(1);
    }
}
