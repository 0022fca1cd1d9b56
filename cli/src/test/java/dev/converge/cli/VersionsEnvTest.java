package dev.converge.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;

/** versions.env feeds container builds; it must say what the parent POM says. */
class VersionsEnvTest {
    private static final Path ROOT = Path.of(System.getProperty("converge.root", ".."));

    @Test
    void versionsEnvAgreesWithTheParentPom() throws Exception {
        Document pom = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(ROOT.resolve("pom.xml").toFile());
        Element props = (Element) pom.getDocumentElement().getElementsByTagName("properties").item(0);
        Map<String, String> env = new HashMap<>();
        for (String line : Files.readAllLines(ROOT.resolve("versions.env"))) {
            if (!line.isBlank() && !line.startsWith("#")) {
                env.put(line.substring(0, line.indexOf('=')), line.substring(line.indexOf('=') + 1));
            }
        }

        assertThat(env).as("versions.env is stale: run ./mvnw -q -N -Pversions-env validate")
                .containsEntry("H2O_VERSION", text(props, "h2o.version"))
                .containsEntry("JAVA_RELEASE", text(props, "java.release"))
                .containsEntry("POSTGRES_BINARIES_VERSION", text(props, "postgres.binaries.version"))
                .containsEntry("CONVERGE_VERSION", pom.getDocumentElement().getElementsByTagName("version").item(0)
                        .getTextContent());
        assertThat(text(props, "h2o.version")).isEqualTo("3.44.0.1");
    }

    private static String text(Element props, String name) {
        return props.getElementsByTagName(name).item(0).getTextContent().trim();
    }
}
