package dev.converge.serve;

import dev.converge.contracts.config.DatabaseConfig;
import dev.converge.contracts.config.Settings;
import dev.converge.registry.PgEndpoint;
import dev.converge.registry.SchemaVersion;
import dev.converge.serve.config.ServeConfig;
import dev.converge.serve.model.Readiness;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The prediction server on its own: the serving image's entry point, with none of the CLI's training (H2O),
 * ingestion, Flyway or embedded PostgreSQL on its class path. It serves an existing store: the database must be
 * configured and migrated (by {@code converge migrate}, from the training image or a workstation); one that is not
 * is refused at start with the command that fixes it, rather than failing later in a query.
 *
 * <p>Settings as for {@code converge serve}: a properties file ({@code --config}, or {@code CONVERGE_CONFIG}), then
 * {@code CONVERGE_*} environment variables, then the flags below.
 */
public final class ServeMain {
    static final String USAGE = """
            Usage: converge-serve [--config FILE] [--database-url JDBC_URL] [--database-user USER] [--host HOST]
                                  [--port PORT] [--model NAME]
            Runs the prediction server for the registry's champion (REST and GraphQL, h2o-genmodel, no H2O cluster)
            against a configured, migrated converge store. Settings: the properties file, then CONVERGE_*
            environment variables (CONVERGE_DATABASE_URL, CONVERGE_SERVE_PORT, ...), then these flags.
            JVM options: JDK_JAVA_OPTIONS.""";

    private ServeMain() {
    }

    public static void main(String[] args) throws Exception {
        int code = run(args, System.getenv(), System.out, System.err);
        if (code != 0) {
            System.exit(code);
        }
    }

    /** Exit codes: 0 stopped cleanly or help, 2 a usage or configuration error, 3 the database not migrated. */
    static int run(String[] args, Map<String, String> env, PrintStream out, PrintStream err) throws Exception {
        Map<String, String> flags = new HashMap<>();
        Path file = env.get("CONVERGE_CONFIG") == null ? null : Path.of(env.get("CONVERGE_CONFIG"));
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("-h") || a.equals("--help")) {
                out.println(USAGE);
                return 0;
            }
            String key = switch (a) {
                case "--config" -> "config";
                case "--database-url" -> "database.url";
                case "--database-user" -> "database.user";
                case "--host" -> "serve.host";
                case "--port" -> "serve.port";
                case "--model" -> "serve.model";
                default -> null;
            };
            if (key == null) {
                err.println("converge-serve: unknown argument '" + a + "'\n" + USAGE);
                return 2;
            }
            if (i + 1 >= args.length) {
                err.println("converge-serve: " + a + " needs a value\n" + USAGE);
                return 2;
            }
            String value = args[++i];
            if (key.equals("config")) {
                file = Path.of(value);
            } else {
                flags.put(key, value);
            }
        }
        if (file != null && !Files.isRegularFile(file)) {
            err.println("converge-serve: config file " + file.toAbsolutePath() + " does not exist");
            return 2;
        }
        Settings settings;
        ServeConfig config;
        DatabaseConfig dbConfig;
        try {
            settings = Settings.load(file, env, flags);
            config = ServeConfig.from(settings);
            dbConfig = DatabaseConfig.from(settings);
        } catch (IllegalArgumentException e) {
            err.println("converge-serve: " + e.getMessage());
            return 2;
        }
        if (dbConfig.embedded()) {
            err.println("converge-serve: no database configured. The serving image has no embedded PostgreSQL: set"
                    + " CONVERGE_DATABASE_URL (jdbc:postgresql://host:5432/db), or database.url in a --config file.");
            return 2;
        }
        PgEndpoint db = new PgEndpoint(dbConfig.url(), dbConfig.user(), dbConfig.password(), null);
        String notReady = schemaProblem(db);
        if (notReady != null) {
            err.println("converge-serve: " + notReady);
            return 3;
        }
        PredictionServer server = start(config, db, out);
        out.println(listening(config, server));
        awaitShutdown(server, () -> { });
        return 0;
    }

    /** Why this store cannot be served by this build, or null when its schema is current. */
    static String schemaProblem(PgEndpoint db) {
        try (Connection c = db.dataSource().getConnection()) {
            int applied = SchemaVersion.applied(c);
            if (applied < SchemaVersion.LATEST) {
                return "the database at " + PgEndpoint.redacted(db.url()) + (applied == 0
                        ? " has no converge schema" : " has migrations up to V" + applied)
                        + "; this server needs V" + SchemaVersion.LATEST + ". Run `converge migrate --database-url "
                        + PgEndpoint.redacted(db.url()) + "` (the converge-train image has it) first.";
            }
            return null;
        } catch (SQLException e) {
            return "cannot reach the database at " + PgEndpoint.redacted(db.url()) + ": " + e.getMessage();
        }
    }

    /** Starts the server and waits until it is ready (the champion verified) or says why not. */
    public static PredictionServer start(ServeConfig config, PgEndpoint db, PrintStream out) throws Exception {
        long t0 = System.nanoTime();
        PredictionServer server = PredictionServer.start(config, db, null).toCompletionStage()
                .toCompletableFuture().get(30, TimeUnit.SECONDS);
        Readiness r = server.awaitReady(Duration.ofSeconds(30)).toCompletionStage().toCompletableFuture().get();
        if (r.ready()) {
            out.printf("Ready in %.2f s: %s v%d (scoring %s, p90 %.1f us per row)%n",
                    (System.nanoTime() - t0) / 1e9, r.model(), r.version(), r.scoring(), r.p90Micros());
        } else {
            out.println("Not ready (serving health and metrics, waiting for a champion): " + r.reason());
        }
        return server;
    }

    /** The line that tells an operator where the server listens and what it offers. */
    public static String listening(ServeConfig config, PredictionServer server) {
        return "Serving " + config.model() + " on " + (config.tls() == null ? "http" : "https") + "://"
                + config.host() + ":" + server.port()
                + "  (POST /v1/predict, /v1/predict/batch; GET /health/ready, /metrics, /openapi.json). Ctrl-C stops.";
    }

    /** Blocks until the JVM is asked to stop (SIGTERM, Ctrl-C), then closes the server and runs {@code after}. */
    public static void awaitShutdown(PredictionServer server, Runnable after) throws InterruptedException {
        CountDownLatch stop = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                server.close().toCompletionStage().toCompletableFuture().orTimeout(5, TimeUnit.SECONDS).join();
            } finally {
                after.run();
                stop.countDown();
            }
        }, "converge-serve-shutdown"));
        stop.await();
    }
}
