package dev.converge.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.converge.contracts.config.DatabaseConfig;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The embedded PostgreSQL keeps the user's store across runs, so it runs durably: fsync and synchronous commit on. */
class EmbeddedDurabilityTest {
    @TempDir
    Path dir;

    @Test
    void theEmbeddedStoreIsDurable() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        try (Database db = Database.open(new DatabaseConfig(null, null, null, dir.resolve("pg"), port));
             Connection c = db.connection()) {
            assertThat(setting(c, "fsync")).isEqualTo("on");
            assertThat(setting(c, "synchronous_commit")).isEqualTo("on");
            assertThat(setting(c, "full_page_writes")).isEqualTo("on");
        }
    }

    private static String setting(Connection c, String name) throws Exception {
        try (ResultSet rs = c.createStatement().executeQuery("SHOW " + name)) {
            rs.next();
            return rs.getString(1);
        }
    }
}
