package dev.converge.serve;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.sql.DriverManager;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The serving image's entry point refuses what it cannot serve, before it starts, and says why. */
class ServeMainTest {
    static final String URL = dev.converge.testkit.TestServices.postgresUrl();

    private static String[] run(Map<String, String> env, String... args) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = ServeMain.run(args, env, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new String[] {Integer.toString(code), out.toString(StandardCharsets.UTF_8),
                err.toString(StandardCharsets.UTF_8)};
    }

    @Test
    void usageErrorsAreExitTwoAndNameTheArgument() throws Exception {
        assertThat(run(Map.of(), "--bogus")).satisfies(r -> {
            assertThat(r[0]).isEqualTo("2");
            assertThat(r[2]).contains("unknown argument '--bogus'", "Usage:");
        });
        assertThat(run(Map.of(), "--port")[2]).contains("--port needs a value");
        assertThat(run(Map.of(), "--config", "/nonexistent/converge.properties")[2]).contains("does not exist");
        assertThat(run(Map.of(), "--help")).satisfies(r -> {
            assertThat(r[0]).isEqualTo("0");
            assertThat(r[1]).contains("CONVERGE_DATABASE_URL");
        });
    }

    @Test
    void withoutADatabaseItSaysHowToConfigureOne() throws Exception {
        String[] r = run(Map.of());
        assertThat(r[0]).isEqualTo("2");
        assertThat(r[2]).contains("no database configured", "CONVERGE_DATABASE_URL");
        assertThat(run(Map.of("CONVERGE_DATABASE_URL", "postgres://nope"))[2]).contains("jdbc:postgresql://");
    }

    @Test
    void anUnmigratedOrUnreachableStoreIsRefusedWithTheCommandThatFixesIt() throws Exception {
        String schema = "sm_" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
        String base = URL + (URL.contains("?") ? "&" : "?") + "user=postgres";
        try (var c = DriverManager.getConnection(base)) {
            c.createStatement().execute("CREATE SCHEMA " + schema);
        }
        try {
            String[] r = run(Map.of("CONVERGE_DATABASE_URL", base + "&currentSchema=" + schema));
            assertThat(r[0]).isEqualTo("3");
            assertThat(r[2]).contains("has no converge schema", "needs V" + dev.converge.registry.SchemaVersion.LATEST,
                    "converge migrate");
            try (var c = DriverManager.getConnection(base + "&currentSchema=" + schema)) {
                c.createStatement().execute("CREATE TABLE flyway_schema_history (version text, success boolean)");
                c.createStatement().execute("INSERT INTO flyway_schema_history VALUES ('1', true), ('2', true),"
                        + " ('3', false)");
            }
            r = run(Map.of("CONVERGE_DATABASE_URL", base + "&currentSchema=" + schema));
            assertThat(r[0]).isEqualTo("3");
            assertThat(r[2]).contains("has migrations up to V2");
        } finally {
            try (var c = DriverManager.getConnection(base)) {
                c.createStatement().execute("DROP SCHEMA " + schema + " CASCADE");
            }
        }
        String[] down = run(Map.of("CONVERGE_DATABASE_URL", "jdbc:postgresql://127.0.0.1:1/nothing"));
        assertThat(down[0]).isEqualTo("3");
        assertThat(down[2]).contains("cannot reach the database at jdbc:postgresql://127.0.0.1:1/nothing");
    }
}
