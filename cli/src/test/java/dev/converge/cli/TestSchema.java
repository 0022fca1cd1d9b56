package dev.converge.cli;

import java.sql.Connection;
import java.sql.DriverManager;
import java.util.UUID;

/** A schema of the test PostgreSQL for one CLI test class, and the database URL that works in it. */
final class TestSchema {
    static final String DB = dev.converge.testkit.TestServices.postgresUrl();

    final String name;
    final String url;

    TestSchema(String prefix) {
        name = prefix + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
        url = DB + (DB.contains("?") ? "&" : "?") + "user=postgres&currentSchema=" + name;
    }

    TestSchema create() throws Exception {
        execute("CREATE SCHEMA " + name);
        return this;
    }

    void drop() throws Exception {
        execute("DROP SCHEMA " + name + " CASCADE");
    }

    private static void execute(String sql) throws Exception {
        try (Connection c = DriverManager.getConnection(DB + (DB.contains("?") ? "&" : "?") + "user=postgres")) {
            c.createStatement().execute(sql);
        }
    }
}
