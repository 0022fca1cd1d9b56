package dev.converge.store;

import java.sql.Connection;
import java.sql.Statement;
import java.util.Locale;
import java.util.UUID;

/**
 * A fresh schema on the real test PostgreSQL (127.0.0.1:5432/test unless CONVERGE_TEST_DATABASE_URL says
 * otherwise), migrated, and dropped on close. Each test class gets its own, so tests never see each other's rows.
 */
public final class TestDatabase implements AutoCloseable {
    public static final String URL = dev.converge.testkit.TestServices.postgresUrl();
    public static final String USER = System.getenv().getOrDefault("CONVERGE_TEST_DATABASE_USER", "postgres");

    public final Database db;

    public TestDatabase() {
        String schema = "t_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12).toLowerCase(Locale.ROOT);
        db = Database.connect(URL, USER, System.getenv("CONVERGE_TEST_DATABASE_PASSWORD"), schema);
        db.migrate();
    }

    public long count(String sql) throws Exception {
        try (Connection c = db.connection(); Statement st = c.createStatement(); var rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    public void execute(String sql) throws Exception {
        try (Connection c = db.connection(); Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }

    @Override
    public void close() throws Exception {
        execute("DROP SCHEMA " + db.schema() + " CASCADE");
    }
}
