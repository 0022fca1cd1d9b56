package dev.converge.bench;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;

/** A one-line description of where a benchmark ran, for reports. */
final class Machine {
    private Machine() {}

    static String describe(Connection c) throws SQLException {
        String pg;
        try (ResultSet rs = c.createStatement().executeQuery("SHOW server_version")) {
            rs.next();
            pg = rs.getString(1);
        }
        return String.format("%s; %d cores; Java %s; PostgreSQL %s; max heap %d MB", Instant.now(),
                Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"), pg,
                Runtime.getRuntime().maxMemory() >> 20);
    }
}
