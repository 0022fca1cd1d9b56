package dev.converge.serve.pg;

import dev.converge.registry.PgEndpoint;
import dev.converge.serve.config.ServeConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.SqlConnection;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The reactive PostgreSQL clients of the server: connect options from a JDBC URL (user, password, schema and
 * {@code sslmode} with libpq's meaning), the feature pools, and a read replica's endpoint.
 */
public final class PgClients {
    private static final Logger LOG = LoggerFactory.getLogger(PgClients.class);

    private PgClients() {
    }

    /** A pool of {@code serve.pg_pool_size} connections that waits at most {@code pg_pool_wait_ms} for one. */
    public static Pool pool(Vertx vertx, PgConnectOptions options, ServeConfig config, String name) {
        return PgBuilder.pool().with(new PoolOptions().setMaxSize(config.pgPoolSize()).setMaxWaitQueueSize(1024)
                .setConnectionTimeout((int) config.resilience().pgPoolWaitMillis())
                .setConnectionTimeoutUnit(TimeUnit.MILLISECONDS).setName(name))
                .connectingTo(options).using(vertx).build();
    }

    /**
     * The read replica at {@code url}, as the primary's user and with its password unless the URL names its own:
     * a user or password in the replica's URL is the replica's (the primary's would otherwise win in
     * {@link #options}, which lets a URL's credentials stand only where none were configured).
     */
    /**
     * The pool of online reads from a hot standby when {@code serve.online_read_url} names one (a pool of its own,
     * the primary's size and wait bound), else null.
     */
    public static Pool replica(Vertx vertx, ServeConfig config, PgEndpoint primary) {
        return config.onlineReadUrl() == null ? null : pool(vertx, options(replicaEndpoint(config.onlineReadUrl(),
                primary)), config, "converge-features-replica");
    }

    public static PgEndpoint replicaEndpoint(String url, PgEndpoint primary) {
        String query = URI.create(url.substring("jdbc:".length())).getQuery();
        java.util.Set<String> named = new java.util.HashSet<>();
        if (query != null) {
            for (String kv : query.split("&")) {
                named.add(kv.split("=", 2)[0]);
            }
        }
        return new PgEndpoint(url, named.contains("user") ? null : primary.user(),
                named.contains("password") ? null : primary.password(), primary.schema());
    }

    public static PgConnectOptions options(PgEndpoint db) {
        URI uri = URI.create(db.url().substring("jdbc:".length()));
        PgConnectOptions o = new PgConnectOptions().setHost(uri.getHost())
                .setPort(uri.getPort() < 0 ? 5432 : uri.getPort()).setDatabase(uri.getPath().substring(1))
                .setUser(db.user() != null ? db.user() : "postgres").setCachePreparedStatements(true)
                .setPipeliningLimit(16);
        if (db.password() != null) {
            o.setPassword(db.password());
        }
        if (uri.getQuery() != null) {
            for (String kv : uri.getQuery().split("&")) {
                String[] p = kv.split("=", 2);
                if (p.length == 2 && p[0].equals("user") && db.user() == null) {
                    o.setUser(p[1]);
                } else if (p.length == 2 && p[0].equals("password") && db.password() == null) {
                    o.setPassword(p[1]);
                } else if (p.length == 2 && p[0].equals("currentSchema")) {
                    o.addProperty("search_path", p[1]);
                } else if (p.length == 2 && p[0].equals("sslmode")) {
                    ssl(o, p[1], query(uri, "sslrootcert"));
                }
            }
        }
        if (db.schema() != null) {
            o.addProperty("search_path", db.schema());
        }
        return o;
    }

    /**
     * The JDBC URL's sslmode, with libpq's meaning, for the reactive client too (it was dropped: the registry read
     * over TLS while features went in plain text). require encrypts without verifying; verify-ca and verify-full
     * verify against sslrootcert (PEM), or the JDK's trusted roots when none is given; verify-full checks the host.
     */
    static void ssl(PgConnectOptions o, String mode, String rootCert) {
        io.vertx.pgclient.SslMode m = switch (mode) {
            case "disable" -> io.vertx.pgclient.SslMode.DISABLE;
            case "allow" -> io.vertx.pgclient.SslMode.ALLOW;
            case "prefer" -> io.vertx.pgclient.SslMode.PREFER;
            case "require" -> io.vertx.pgclient.SslMode.REQUIRE;
            case "verify-ca" -> io.vertx.pgclient.SslMode.VERIFY_CA;
            case "verify-full" -> io.vertx.pgclient.SslMode.VERIFY_FULL;
            default -> throw new IllegalArgumentException("sslmode in the database URL must be one of disable, allow,"
                    + " prefer, require, verify-ca, verify-full; was '" + mode + "'");
        };
        o.setSslMode(m);
        io.vertx.core.net.ClientSSLOptions tls = new io.vertx.core.net.ClientSSLOptions();
        if (m == io.vertx.pgclient.SslMode.VERIFY_CA || m == io.vertx.pgclient.SslMode.VERIFY_FULL) {
            if (rootCert != null) {
                tls.setTrustOptions(new io.vertx.core.net.PemTrustOptions().addCertPath(rootCert));
            }
            tls.setHostnameVerificationAlgorithm(m == io.vertx.pgclient.SslMode.VERIFY_FULL ? "HTTPS" : "");
        } else if (m != io.vertx.pgclient.SslMode.DISABLE) {
            tls.setTrustAll(true).setHostnameVerificationAlgorithm(""); // libpq: encrypted, not verified
        }
        o.setSslOptions(tls);
    }

    private static String query(URI uri, String key) {
        for (String kv : uri.getQuery().split("&")) {
            String[] p = kv.split("=", 2);
            if (p.length == 2 && p[0].equals(key)) {
                return java.net.URLDecoder.decode(p[1], java.nio.charset.StandardCharsets.UTF_8);
            }
        }
        return null;
    }

    /**
     * Opens every connection of {@code pool} up front, retrying up to {@code attempts} times, so that the first
     * requests do not pay for connecting: at start-up the JIT and the model's verification compete for the CPU, and a
     * connection that is not opened now is opened by the first requests, under load. Never fails: what could not be
     * opened is logged.
     */
    public static Future<Void> warm(Pool pool, int size, int attempts) {
        List<Future<?>> warm = new ArrayList<>();
        List<SqlConnection> held = new ArrayList<>();
        for (int i = 0; i < size; i++) {
            warm.add(pool.getConnection().compose(c -> {
                synchronized (held) {
                    held.add(c);
                }
                return c.query("SELECT 1").execute();
            }));
        }
        return Future.join(warm).transform(ar -> {
            synchronized (held) {
                held.forEach(SqlConnection::close);
            }
            if (ar.succeeded() || attempts <= 1) {
                if (ar.failed()) {
                    LOG.warn("could not open all {} connections of the feature store's pool: {}", size,
                            ar.cause().getMessage());
                }
                return Future.succeededFuture();
            }
            return warm(pool, size, attempts - 1);
        });
    }
}
