package dev.converge.cli;

import dev.converge.contracts.config.DatabaseConfig;
import dev.converge.contracts.config.Settings;
import dev.converge.store.Database;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import picocli.CommandLine.Option;

/** Where the database is: a properties file, then CONVERGE_* environment variables, then these flags. */
final class DbOptions {
    @Option(names = "--config", paramLabel = "FILE",
            description = "Properties file (database.url, database.user, ...). Default: ./converge.properties if present.")
    Path config;

    @Option(names = "--database-url", paramLabel = "JDBC_URL",
            description = "jdbc:postgresql://host:port/db. Without one, converge runs an embedded PostgreSQL 17.")
    String url;

    @Option(names = "--database-user", paramLabel = "USER")
    String user;

    @Option(names = "--embedded-dir", paramLabel = "DIR",
            description = "Data directory of the embedded PostgreSQL (default $HOME/.converge/pgdata).")
    Path embeddedDir;

    /** These options as command-line arguments, for child JVMs that must reach the same database. */
    java.util.List<String> asArgs() {
        java.util.List<String> a = new java.util.ArrayList<>();
        if (config != null) {
            a.addAll(java.util.List.of("--config", config.toString()));
        }
        if (url != null) {
            a.addAll(java.util.List.of("--database-url", url));
        }
        if (user != null) {
            a.addAll(java.util.List.of("--database-user", user));
        }
        if (embeddedDir != null) {
            a.addAll(java.util.List.of("--embedded-dir", embeddedDir.toString()));
        }
        return a;
    }

    Settings settings() {
        Map<String, String> flags = new HashMap<>();
        flags.put("database.url", url);
        flags.put("database.user", user);
        flags.put("database.embedded.dir", embeddedDir == null ? null : embeddedDir.toString());
        Path file = config;
        if (file == null && Path.of("converge.properties").toFile().isFile()) {
            file = Path.of("converge.properties");
        }
        return Settings.load(file, System.getenv(), flags);
    }

    /**
     * Opens and migrates the database. Where an embedded one keeps its data, and how to use one's own instead, is
     * said when its data directory is made (the first command on a machine), not before every command's output.
     */
    Database open(PrintStream err) {
        DatabaseConfig cfg = DatabaseConfig.from(settings());
        if (cfg.embedded() && !java.nio.file.Files.isDirectory(cfg.embeddedDataDir())) {
            err.println("No database configured: using embedded PostgreSQL 17, data kept in " + cfg.embeddedDataDir());
            err.println("  (to use your own PostgreSQL: --database-url jdbc:postgresql://host:5432/db,"
                    + " or CONVERGE_DATABASE_URL, or database.url in converge.properties)");
        }
        Database db = Database.open(cfg);
        int applied = db.migrateIfBehind();
        if (applied > 0) {
            err.println("Applied " + applied + " migration(s) to " + db.description());
        }
        return db;
    }
}
