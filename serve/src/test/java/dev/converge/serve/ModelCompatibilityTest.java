package dev.converge.serve;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.converge.serve.impl.ModelLoader;
import org.junit.jupiter.api.Test;

class ModelCompatibilityTest {
    @Test
    void aMojoFromANewerH2oIsRefusedNamingBothVersions() {
        assertThatThrownBy(() -> ModelLoader.checkCompatible("3.46.0.1", "3.44.0.1", "credit_risk", 4))
                .isInstanceOf(ModelLoader.RefusedModel.class)
                .hasMessageContaining("H2O 3.46.0.1").hasMessageContaining("h2o-genmodel 3.44.0.1")
                .hasMessageContaining("credit_risk' v4");
    }

    @Test
    void sameOrOlderMojosAreAccepted() throws Exception {
        ModelLoader.checkCompatible("3.44.0.1", "3.44.0.1", "m", 1);
        ModelLoader.checkCompatible("3.42.0.4", "3.44.0.1", "m", 1);
        assertThat(ModelLoader.RUNTIME_H2O_VERSION).isEqualTo("3.44.0.1");
    }
}
