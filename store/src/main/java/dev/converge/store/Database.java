package dev.converge.store;

import dev.converge.contracts.config.DatabaseConfig;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Objects;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.output.MigrateResult;
import org.postgresql.ds.PGSimpleDataSource;
import dev.converge.registry.PgEndpoint;
import dev.converge.registry.SchemaVersion;

/**
 * The connection to the store's PostgreSQL: a configured server, or an embedded one started from a Maven artifact
 * (PostgreSQL 17) whose data directory lasts across runs. Owns the embedded server's lifetime.
 */
public final class Database implements AutoCloseable {
    private final DataSource dataSource;
    private final EmbeddedPostgres embedded;
    private final String description;
    private final String schema;
    private final String url;
    private final String user;
    private final String password;

    private Database(PGSimpleDataSource dataSource, EmbeddedPostgres embedded, String description, String schema,
                     String url, String user, String password) {
        this.dataSource = dataSource;
        this.url = url;
        this.user = user;
        this.password = password;
        this.embedded = embedded;
        this.description = description;
        this.schema = schema;
    }

    /** Connects to the configured server, or starts (or reuses) the embedded one. */
    public static Database open(DatabaseConfig config) {
        if (!config.embedded()) {
            return connect(config.url(), config.user(), config.password(), null);
        }
        try {
            Files.createDirectories(config.embeddedDataDir());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create embedded PostgreSQL data directory "
                    + config.embeddedDataDir(), e);
        }
        String url = "jdbc:postgresql://127.0.0.1:" + config.embeddedPort() + "/postgres";
        if (Files.exists(config.embeddedDataDir().resolve("postmaster.pid")) && listening(config.embeddedPort())) {
            // Another converge process started it; share it rather than fight over the data directory.
            return connect(url, "postgres", null, null).describedAs("embedded PostgreSQL (shared) at "
                    + config.embeddedDataDir());
        }
        try {
            EmbeddedPostgres pg = EmbeddedPostgres.builder()
                    .setDataDirectory(config.embeddedDataDir())
                    .setCleanDataDirectory(false)
                    .setPort(config.embeddedPort())
                    .setServerConfig("listen_addresses", "127.0.0.1")
                    // The library starts PostgreSQL with -F (fsync off) and synchronous_commit off, which suits
                    // throw-away test databases; this one keeps the user's feature store and registry across runs,
                    // so a crash or power loss must not corrupt it. (-c options come after -F and win.)
                    .setServerConfig("fsync", "on")
                    .setServerConfig("synchronous_commit", "on")
                    .setServerConfig("full_page_writes", "on")
                    .setPGStartupWait(Duration.ofSeconds(60))
                    .start();
            PGSimpleDataSource ds = dataSource(url, "postgres", null, null);
            return new Database(ds, pg, "embedded PostgreSQL at " + config.embeddedDataDir() + " (port "
                    + config.embeddedPort() + ")", null, url, "postgres", null);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start embedded PostgreSQL in " + config.embeddedDataDir()
                    + " on port " + config.embeddedPort() + ": " + e.getMessage(), e);
        }
    }

    /**
     * Connects to a server. With a non-null {@code schema}, every connection works in that schema (created by
     * {@link #migrate()}); tests use this to isolate themselves on a shared server.
     */
    public static Database connect(String url, String user, String password, String schema) {
        PGSimpleDataSource ds = dataSource(url, user, password, schema);
        return new Database(ds, null, "PostgreSQL at " + PgEndpoint.redacted(url), schema,
                url, user, password);
    }

    private Database describedAs(String text) {
        return new Database((PGSimpleDataSource) dataSource, embedded, text, schema, url, user, password);
    }

    /** The same server, working in another schema (benchmarks use this to stay out of the real store). */
    public Database withSchema(String otherSchema) {
        return connect(url, user, password, otherSchema);
    }

    private static PGSimpleDataSource dataSource(String url, String user, String password, String schema) {
        return (PGSimpleDataSource) new PgEndpoint(url, user, password, schema).dataSource();
    }

    private static boolean listening(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Applies pending migrations; returns how many were applied. */
    /** The newest migration this build carries ({@code V<n>__*.sql}); a test keeps it equal to the files. */
    public static final int LATEST_MIGRATION = SchemaVersion.LATEST;

    /**
     * Whether the database already has every migration of this build, read from Flyway's history table in one query
     * (no Flyway start-up: it costs about a second, scanning the class path): false when it is behind, has no history,
     * or cannot say. A database ahead of this build (a newer converge migrated it) counts as current.
     */
    public boolean isCurrent() {
        try (Connection c = dataSource.getConnection()) {
            return SchemaVersion.applied(c) >= LATEST_MIGRATION;
        } catch (SQLException e) {
            return false; // no history table yet (42P01), or no connection: migrate() says which
        }
    }

    /** Migrates unless {@link #isCurrent()}: commands that only need the schema to be there start a second sooner. */
    public int migrateIfBehind() {
        return isCurrent() ? 0 : migrate();
    }

    public int migrate() {
        var cfg = Flyway.configure()
                .dataSource(dataSource)
                .locations("classpath:db/migration")
                .failOnMissingLocations(true);
        if (schema != null) {
            cfg = cfg.schemas(schema).defaultSchema(schema).createSchemas(true);
        }
        MigrateResult result = cfg.load().migrate();
        return result.migrationsExecuted;
    }

    public Connection connection() throws SQLException {
        return dataSource.getConnection();
    }

    public DataSource dataSource() {
        return dataSource;
    }

    public boolean isEmbedded() {
        return embedded != null;
    }

    public String schema() {
        return schema;
    }

    /** The JDBC URL, user and password this database was opened with (for clients that connect on their own). */
    public String url() {
        return url;
    }

    public String user() {
        return user;
    }

    public String password() {
        return password;
    }

    /** Where this database is, for clients that connect on their own (the registry, the prediction server). */
    public PgEndpoint endpoint() {
        return new PgEndpoint(url, user, password, schema);
    }

    public String description() {
        return description;
    }

    @Override
    public void close() {
        if (embedded != null) {
            try {
                embedded.close();
            } catch (IOException e) {
                throw new UncheckedIOException("embedded PostgreSQL did not stop cleanly", e);
            }
        }
    }

    @Override
    public String toString() {
        return Objects.toString(description);
    }
}
