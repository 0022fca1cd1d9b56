package dev.converge.contracts.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SettingsTest {
    @Test
    void flagsBeatEnvironmentWhichBeatsTheFile(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("converge.properties");
        Files.writeString(file, "database.url=jdbc:postgresql://file/db\ndatabase.user=from-file\n"
                + "database.embedded.port=6000\n");
        Map<String, String> env = Map.of("CONVERGE_DATABASE_URL", "jdbc:postgresql://env/db", "PATH", "/bin");
        Map<String, String> flags = new HashMap<>();
        flags.put("database.url", "jdbc:postgresql://flag/db");
        flags.put("database.user", null);

        Settings s = Settings.load(file, env, flags);
        DatabaseConfig db = DatabaseConfig.from(s);

        assertThat(db.url()).isEqualTo("jdbc:postgresql://flag/db");
        assertThat(db.user()).isEqualTo("from-file");
        assertThat(db.embeddedPort()).isEqualTo(6000);
        assertThat(s.get("database.url").orElseThrow().origin()).isEqualTo("flag database.url");
        assertThat(Settings.load(file, env, Map.of()).get("database.url").orElseThrow().origin())
                .isEqualTo("env CONVERGE_DATABASE_URL");
    }

    @Test
    void badValuesFailNamingTheKeyTheValueAndWhereItCameFrom() {
        Settings s = Settings.load(null, Map.of("CONVERGE_DATABASE_EMBEDDED_PORT", "54x"), Map.of());

        assertThatThrownBy(() -> DatabaseConfig.from(s)).hasMessage(
                "database.embedded.port must be an integer, was '54x' (from env CONVERGE_DATABASE_EMBEDDED_PORT)");
        assertThatThrownBy(() -> DatabaseConfig.from(Settings.load(null, Map.of(),
                Map.of("database.url", "postgres://x")))).hasMessageContaining("database.url must start with"
                + " jdbc:postgresql://, was 'postgres://x'");
        assertThatThrownBy(() -> DatabaseConfig.from(Settings.load(null, Map.of(),
                Map.of("database.embedded.port", "80")))).hasMessageContaining("within 1024..65535, was 80");
        assertThatThrownBy(() -> Settings.load(Path.of("/nonexistent/converge.properties"), Map.of(), Map.of()))
                .hasMessageContaining("does not exist");
    }

    @Test
    void noUrlMeansTheEmbeddedDatabaseAndThePasswordNeverPrints() {
        DatabaseConfig db = DatabaseConfig.from(Settings.load(null, Map.of("CONVERGE_DATABASE_PASSWORD", "s3cret"),
                Map.of()));

        assertThat(db.embedded()).isTrue();
        assertThat(db.toString()).doesNotContain("s3cret");
    }
}
