package dev.converge.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code converge validate-mojo} on the serve tests' fixture models: a good one passes, tampering is caught. */
class ValidateMojoTest {
    static final Path MODELS = Path.of(System.getProperty("converge.root", "..")).resolve("serve/src/test/resources/models");

    @Test
    void aModelThatReproducesItsReferencePasses() {
        CliTest.Run r = CliTest.run("validate-mojo", MODELS.resolve("glm.zip").toString(), "--reference",
                MODELS.resolve("glm.json").toString());
        assertThat(r.exit()).as(r.out() + r.err()).isZero();
        assertThat(r.out()).contains("ok   structure").contains("ok   versions").contains("rows reproduced to 1.0E-9")
                .contains("p90").contains("PASS");
    }

    @Test
    void tamperedPredictionsAnotherModelAndANonMojoFailSayingWhy(@TempDir Path dir) throws Exception {
        String json = Files.readString(MODELS.resolve("glm.json"));
        Path tampered = dir.resolve("tampered.json");
        Files.writeString(tampered, json.replaceFirst("\"values\": \\[0\\.", "\"values\": [0.5"));
        assertThat(Files.readString(tampered)).isNotEqualTo(json);
        CliTest.Run r = CliTest.run("validate-mojo", MODELS.resolve("glm.zip").toString(), "--reference",
                tampered.toString());
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.out()).contains("FAIL reference predictions").contains("does not reproduce");

        CliTest.Run other = CliTest.run("validate-mojo", MODELS.resolve("xgboost.zip").toString(), "--reference",
                MODELS.resolve("glm.json").toString());
        assertThat(other.exit()).isEqualTo(1);

        Path notAMojo = dir.resolve("model.zip");
        Files.writeString(notAMojo, "not a zip");
        CliTest.Run bad = CliTest.run("validate-mojo", notAMojo.toString());
        assertThat(bad.exit()).isEqualTo(1);
        assertThat(bad.out()).contains("FAIL structure").contains("not a readable MOJO");
    }
}
