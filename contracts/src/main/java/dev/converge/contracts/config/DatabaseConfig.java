package dev.converge.contracts.config;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Where the feature store and registry live. With no {@code url}, converge starts an embedded PostgreSQL whose data
 * lives in {@code embeddedDataDir} across runs.
 *
 * @param url             a {@code jdbc:postgresql://} URL, or null for the embedded default
 * @param user            database user, or null to use the URL's or the driver's default
 * @param password        database password, or null
 * @param embeddedDataDir data directory of the embedded PostgreSQL
 * @param embeddedPort    port the embedded PostgreSQL listens on (loopback only)
 */
public record DatabaseConfig(String url, String user, String password, Path embeddedDataDir, int embeddedPort) {
    public static final int DEFAULT_EMBEDDED_PORT = 54329;

    public DatabaseConfig {
        if (url != null && !url.startsWith("jdbc:postgresql://")) {
            throw new IllegalArgumentException("database.url must start with jdbc:postgresql://, was '" + url + "'");
        }
        Objects.requireNonNull(embeddedDataDir, "database.embedded.dir must be set");
        if (embeddedPort < 1024 || embeddedPort > 65535) {
            throw new IllegalArgumentException("database.embedded.port must be within 1024..65535, was " + embeddedPort);
        }
    }

    public boolean embedded() {
        return url == null;
    }

    public static DatabaseConfig from(Settings s) {
        Path home = ConvergeHome.dir().resolve("pgdata");
        return new DatabaseConfig(
                s.string("database.url").orElse(null),
                s.string("database.user").orElse(null),
                s.string("database.password").orElse(null),
                s.string("database.embedded.dir").map(Path::of).orElse(home),
                s.integer("database.embedded.port", DEFAULT_EMBEDDED_PORT));
    }

    @Override
    public String toString() {
        return "DatabaseConfig[url=" + url + ", user=" + user + ", password=" + (password == null ? null : "***")
                + ", embeddedDataDir=" + embeddedDataDir + ", embeddedPort=" + embeddedPort + "]";
    }
}
