package dev.converge.registry;

import java.util.Objects;
import javax.sql.DataSource;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * Where the store's PostgreSQL is and who to connect as: the JDBC URL, user, password and (for tests and
 * benchmarks that isolate themselves) the schema every connection works in. Clients that only read and write
 * (the registry, the prediction server) need this and nothing of how the database was started or migrated.
 */
public record PgEndpoint(String url, String user, String password, String schema) {
    public PgEndpoint {
        Objects.requireNonNull(url, "url");
        if (!url.startsWith("jdbc:postgresql://")) {
            throw new IllegalArgumentException("database url must start with jdbc:postgresql://, was '"
                    + redacted(url) + "'");
        }
    }

    /**
     * A data source whose reads fail after {@code socketTimeoutSeconds} without a byte from the server: for
     * clients whose statements are short (the prediction server's registry reads), so one hung read cannot hold
     * the thread that every later read waits behind.
     */
    public DataSource dataSource(int socketTimeoutSeconds) {
        PGSimpleDataSource ds = (PGSimpleDataSource) dataSource();
        ds.setSocketTimeout(socketTimeoutSeconds);
        return ds;
    }

    /** A plain (unpooled) JDBC data source for this endpoint. */
    public DataSource dataSource() {
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setURL(url);
        if (user != null) {
            ds.setUser(user);
        }
        if (password != null) {
            ds.setPassword(password);
        }
        if (schema != null) {
            ds.setCurrentSchema(schema);
        }
        ds.setApplicationName("converge");
        ds.setConnectTimeout(10);
        ds.setReWriteBatchedInserts(true);
        return ds;
    }

    /** The URL with any password in it masked, for messages and logs. */
    public static String redacted(String url) {
        return url.replaceFirst("password=[^&]*", "password=***");
    }

    @Override
    public String toString() {
        return "PgEndpoint[" + redacted(url) + ", user=" + user + ", schema=" + schema + "]";
    }
}
