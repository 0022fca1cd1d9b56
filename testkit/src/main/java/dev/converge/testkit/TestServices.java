package dev.converge.testkit;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Properties;

/**
 * The real PostgreSQL and Redis every test uses, so that {@code ./mvnw verify} passes on a machine with only a JDK:
 * <ul>
 *   <li>PostgreSQL: {@code CONVERGE_TEST_DATABASE_URL} when set (it must answer); else 127.0.0.1:5432/test when it
 *       answers; else an embedded PostgreSQL (the quickstart's Maven artifact), started once per test JVM on a
 *       free loopback port and stopped with it.</li>
 *   <li>Redis: {@code CONVERGE_TEST_REDIS_URL} when set; else 127.0.0.1:6379 when it answers PING; else a
 *       redis-server started once per test JVM on a free port. A test that starts Redis instances of its own (to
 *       kill them) gets {@code redis-server} from the PATH, or the binary shipped in the embedded-redis artifact.</li>
 * </ul>
 * What was chosen is printed once per JVM to stderr. CI ({@code .ci/run}) starts the system services, so there
 * the system's are used.
 */
public final class TestServices {
    private static final String DEFAULT_PG = "jdbc:postgresql://127.0.0.1:5432/test";
    private static final String DEFAULT_REDIS = "redis://127.0.0.1:6379";
    private static String postgresUrl;
    private static String redisUrl;
    private static Path redisBinary;

    private TestServices() {}

    /** The JDBC URL of the test PostgreSQL (user postgres, no password). */
    public static synchronized String postgresUrl() {
        if (postgresUrl != null) {
            return postgresUrl;
        }
        String configured = System.getenv("CONVERGE_TEST_DATABASE_URL");
        if (configured != null) {
            postgresUrl = configured;
            note("PostgreSQL: " + configured + " (CONVERGE_TEST_DATABASE_URL)");
        } else if (answers(DEFAULT_PG)) {
            postgresUrl = DEFAULT_PG;
            note("PostgreSQL: the system's, " + DEFAULT_PG);
        } else {
            try {
                EmbeddedPostgres pg = EmbeddedPostgres.builder().setPort(freePort())
                        .setServerConfig("listen_addresses", "127.0.0.1").start();
                Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                    try {
                        pg.close();
                    } catch (IOException ignored) {
                        // the JVM is ending
                    }
                }, "converge-test-postgres-stop"));
                postgresUrl = "jdbc:postgresql://127.0.0.1:" + pg.getPort() + "/postgres";
                note("PostgreSQL: none answered on " + DEFAULT_PG + "; started an embedded one at " + postgresUrl);
            } catch (IOException e) {
                throw new IllegalStateException("no PostgreSQL answers on " + DEFAULT_PG
                        + " and an embedded one could not start: " + e.getMessage(), e);
            }
        }
        return postgresUrl;
    }

    /** The test Redis as {@code redis://host:port}. */
    public static synchronized String redisUrl() {
        if (redisUrl != null) {
            return redisUrl;
        }
        String configured = System.getenv("CONVERGE_TEST_REDIS_URL");
        if (configured != null) {
            redisUrl = configured;
            note("Redis: " + configured + " (CONVERGE_TEST_REDIS_URL)");
        } else if (pings("127.0.0.1", 6379)) {
            redisUrl = DEFAULT_REDIS;
            note("Redis: the system's, " + DEFAULT_REDIS);
        } else {
            try {
                int port = freePort();
                Path dir = Files.createTempDirectory("converge-test-redis");
                Process p = startRedis(port, dir);
                Runtime.getRuntime().addShutdownHook(new Thread(p::destroyForcibly, "converge-test-redis-stop"));
                redisUrl = "redis://127.0.0.1:" + port;
                note("Redis: none answered on " + DEFAULT_REDIS + "; started " + redisBinary() + " at " + redisUrl);
            } catch (IOException | InterruptedException e) {
                throw new IllegalStateException("no Redis answers on " + DEFAULT_REDIS + " and none could start: "
                        + e.getMessage(), e);
            }
        }
        return redisUrl;
    }

    /** A Redis of the caller's own on {@code port}, loopback only, persisting nothing; ready when this returns. */
    public static Process startRedis(int port, Path logDir) throws IOException, InterruptedException {
        return startRedis(port, logDir, java.util.List.of());
    }

    /** As {@link #startRedis(int, Path)}, with more options (e.g. {@code --cluster-enabled yes}). */
    public static Process startRedis(int port, Path logDir, java.util.List<String> options) throws IOException,
            InterruptedException {
        java.util.List<String> cmd = new java.util.ArrayList<>(java.util.List.of(redisBinary().toString(), "--port",
                Integer.toString(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"));
        cmd.addAll(options);
        Process p = new ProcessBuilder(cmd).directory(logDir.toFile()).redirectErrorStream(true)
                .redirectOutput(logDir.resolve("redis-" + port + "-" + System.nanoTime() + ".log").toFile()).start();
        for (int i = 0; i < 200; i++) {
            if (pings("127.0.0.1", port)) {
                return p;
            }
            if (!p.isAlive()) {
                break;
            }
            Thread.sleep(25);
        }
        p.destroyForcibly();
        throw new IllegalStateException(redisBinary() + " did not start on port " + port + " (see " + logDir + ")");
    }

    /** {@code redis-server} from the PATH, else the Linux x86-64 binary in the embedded-redis artifact. */
    public static synchronized Path redisBinary() throws IOException {
        if (redisBinary != null) {
            return redisBinary;
        }
        for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            Path candidate = Path.of(dir.isEmpty() ? "." : dir, "redis-server");
            if (Files.isExecutable(candidate)) {
                return redisBinary = candidate;
            }
        }
        String resource = "/redis-server-6.2.6-v5-linux-amd64";
        String arch = System.getProperty("os.arch");
        if (!System.getProperty("os.name").toLowerCase(java.util.Locale.ROOT).contains("linux")
                || !(arch.equals("amd64") || arch.equals("x86_64"))) {
            throw new IllegalStateException("no redis-server on the PATH, and the bundled one is for Linux x86-64"
                    + " only (this is " + System.getProperty("os.name") + " " + arch + "): install Redis");
        }
        Path out = Files.createTempFile("converge-redis-server", "");
        try (InputStream in = TestServices.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("the embedded-redis artifact has no " + resource);
            }
            Files.copy(in, out, StandardCopyOption.REPLACE_EXISTING);
        }
        out.toFile().setExecutable(true);
        out.toFile().deleteOnExit();
        return redisBinary = out;
    }

    private static boolean answers(String url) {
        Properties p = new Properties();
        p.setProperty("user", "postgres");
        p.setProperty("connectTimeout", "2");
        try (Connection c = DriverManager.getConnection(url, p)) {
            return c.isValid(2);
        } catch (SQLException e) {
            return false;
        }
    }

    private static boolean pings(String host, int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host, port), 500);
            s.setSoTimeout(1000);
            OutputStream out = s.getOutputStream();
            out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            byte[] buf = new byte[7];
            int n = s.getInputStream().readNBytes(buf, 0, 7);
            return new String(buf, 0, n, StandardCharsets.US_ASCII).startsWith("+PONG");
        } catch (IOException e) {
            return false;
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static void note(String what) {
        System.err.println("[converge tests] " + what);
    }
}
