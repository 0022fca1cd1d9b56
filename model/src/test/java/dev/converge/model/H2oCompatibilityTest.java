package dev.converge.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class H2oCompatibilityTest {
    @Test
    void aMojoFromANewerH2oIsRefusedNamingBothVersions() {
        assertThatThrownBy(() -> H2oCompatibility.check("3.46.0.1", "3.44.0.1", "credit_risk", 4))
                .isInstanceOf(ModelRefusedException.class)
                .hasMessageContaining("H2O 3.46.0.1").hasMessageContaining("h2o-genmodel 3.44.0.1")
                .hasMessageContaining("credit_risk' v4")
                .satisfies(e -> assertThat(((ModelRefusedException) e).reason())
                        .isEqualTo(ModelRefusedException.Reason.INCOMPATIBLE_H2O));
    }

    @Test
    void sameOrOlderMojosAreAccepted() {
        H2oCompatibility.check("3.44.0.1", "3.44.0.1", "m", 1);
        H2oCompatibility.check("3.42.0.4", "3.44.0.1", "m", 1);
        assertThat(H2oCompatibility.RUNTIME_H2O_VERSION).isEqualTo("3.44.0.1");
    }
}
