package dev.converge.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.ResultSet;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.MigrationInfo;
import org.junit.jupiter.api.Test;

/**
 * Applies the migrations one at a time and checks that no step drops, retypes or renames a column of any table
 * that existed before it. Feature data outlives every schema change.
 */
class MigrationsAreAdditiveTest {
    @Test
    void everyMigrationOnlyAddsToExistingTables() throws Exception {
        String schema = "m_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        Database db = Database.connect(TestDatabase.URL, TestDatabase.USER, null, schema);
        try {
            Flyway all = flyway(db, schema, null);
            MigrationInfo[] steps = all.info().all();
            assertThat(steps).isNotEmpty();
            Map<String, String> before = columns(db, schema);
            for (MigrationInfo step : steps) {
                flyway(db, schema, step.getVersion().getVersion()).migrate();
                Map<String, String> after = columns(db, schema);
                for (Map.Entry<String, String> col : before.entrySet()) {
                    assertThat(after).as("migration V%s must keep %s as %s", step.getVersion(), col.getKey(),
                            col.getValue()).containsEntry(col.getKey(), col.getValue());
                }
                before = after;
            }
            assertThat(before).containsKeys("feature_history.hot", "feature_online.entity_id",
                    "model_versions.artifact_sha256");
            assertThat(steps[steps.length - 1].getVersion().getVersion()).as("Database.LATEST_MIGRATION, which lets"
                    + " a current database skip Flyway").isEqualTo(Integer.toString(Database.LATEST_MIGRATION));
            assertThat(db.isCurrent()).isTrue();
        } finally {
            try (Connection c = db.connection()) {
                c.createStatement().execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
            }
        }
    }

    private static Flyway flyway(Database db, String schema, String target) {
        var cfg = Flyway.configure().dataSource(db.dataSource()).schemas(schema).defaultSchema(schema)
                .createSchemas(true).locations("classpath:db/migration");
        if (target != null) {
            cfg = cfg.target(target);
        }
        return cfg.load();
    }

    private static Map<String, String> columns(Database db, String schema) throws Exception {
        Map<String, String> out = new HashMap<>();
        try (Connection c = db.connection(); var q = c.prepareStatement("SELECT table_name, column_name,"
                + " data_type, is_nullable FROM information_schema.columns WHERE table_schema = ?"
                + " AND table_name NOT LIKE 'flyway%' AND table_name NOT LIKE 'feature_history_p%'")) {
            q.setString(1, schema);
            try (ResultSet rs = q.executeQuery()) {
                while (rs.next()) {
                    out.put(rs.getString(1) + "." + rs.getString(2), rs.getString(3) + " null=" + rs.getString(4));
                }
            }
        }
        return out;
    }
}
