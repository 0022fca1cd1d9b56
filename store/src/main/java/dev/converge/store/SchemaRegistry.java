package dev.converge.store;

import dev.converge.registry.codec.SchemaCodec;
import dev.converge.contracts.FeatureSchema;
import dev.converge.contracts.FeatureSpec;
import dev.converge.registry.codec.Json;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Optional;

/**
 * Feature schemas as the store knows them. Registering is idempotent by fingerprint; a schema that adds or changes
 * features appends a schema version and, per changed feature, a definition version. Nothing is rewritten.
 */
public final class SchemaRegistry {
    /** A schema with the version the store gave it. */
    public record Versioned(int version, FeatureSchema schema) {}

    private final Database db;

    public SchemaRegistry(Database db) {
        this.db = db;
    }

    public Versioned register(FeatureSchema schema) throws SQLException {
        try (Connection c = db.connection()) {
            c.setAutoCommit(false);
            try {
                Versioned v = register(c, schema);
                c.commit();
                return v;
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        }
    }

    /**
     * Registers on {@code c} in a transaction of its own (the schema and its feature definitions commit together
     * or not at all, under the registration lock), then restores the connection's auto-commit mode.
     */
    static Versioned registerAtomically(Connection c, FeatureSchema schema, String featureSet) throws SQLException {
        boolean auto = c.getAutoCommit();
        c.setAutoCommit(false);
        try {
            Versioned v = register(c, schema);
            if (featureSet != null && !featureSet.isEmpty()) {
                try (PreparedStatement set = c.prepareStatement("INSERT INTO feature_sets (name) VALUES (?)"
                        + " ON CONFLICT DO NOTHING");
                     PreparedStatement link = c.prepareStatement("INSERT INTO feature_set_schemas (feature_set,"
                             + " schema_version) VALUES (?, ?) ON CONFLICT DO NOTHING")) {
                    set.setString(1, featureSet);
                    set.executeUpdate();
                    link.setString(1, featureSet);
                    link.setInt(2, v.version());
                    link.executeUpdate();
                }
            }
            c.commit();
            return v;
        } catch (SQLException | RuntimeException e) {
            c.rollback();
            throw e;
        } finally {
            c.setAutoCommit(auto);
        }
    }

    /** Registers within the caller's transaction (the advisory lock is the transaction's). */
    static Versioned register(Connection c, FeatureSchema schema) throws SQLException {
        try (PreparedStatement lock = c.prepareStatement("SELECT pg_advisory_xact_lock(hashtext('converge.schemas'))")) {
            lock.execute();
        }
        try (PreparedStatement q = c.prepareStatement("SELECT version FROM feature_schemas WHERE fingerprint = ?")) {
            q.setString(1, schema.fingerprint());
            try (ResultSet rs = q.executeQuery()) {
                if (rs.next()) {
                    return new Versioned(rs.getInt(1), schema);
                }
            }
        }
        int version;
        try (PreparedStatement ins = c.prepareStatement(
                "INSERT INTO feature_schemas (fingerprint, schema) VALUES (?, ?::jsonb) RETURNING version")) {
            ins.setString(1, schema.fingerprint());
            ins.setString(2, SchemaCodec.toJson(schema));
            try (ResultSet rs = ins.executeQuery()) {
                rs.next();
                version = rs.getInt(1);
            }
        }
        try (PreparedStatement latest = c.prepareStatement(
                     "SELECT version, spec::text FROM feature_definitions WHERE name = ? ORDER BY version DESC LIMIT 1");
             PreparedStatement def = c.prepareStatement("INSERT INTO feature_definitions"
                     + " (name, version, type, temperature, nullable, spec) VALUES (?, ?, ?, ?, ?, ?::jsonb)")) {
            for (FeatureSpec spec : schema.features()) {
                String specJson = Json.write(SchemaCodec.toTree(new FeatureSchema(java.util.List.of(spec)))
                        .get("features").get(0));
                latest.setString(1, spec.name());
                int next = 1;
                try (ResultSet rs = latest.executeQuery()) {
                    if (rs.next()) {
                        if (Json.readMap(rs.getString(2)).equals(Json.readMap(specJson))) {
                            continue;
                        }
                        next = rs.getInt(1) + 1;
                    }
                }
                def.setString(1, spec.name());
                def.setInt(2, next);
                def.setString(3, spec.type().wireName());
                def.setString(4, spec.temperature().wireName());
                def.setBoolean(5, spec.nullable());
                def.setString(6, specJson);
                def.addBatch();
            }
            def.executeBatch();
        }
        return new Versioned(version, schema);
    }

    /**
     * The schema a file with these {@code columns} (identity columns left out) is read with: the newest schema of
     * {@code featureSet} (of every schema when it is empty) that has a feature for every column and a column for
     * every required feature. Never "the latest" regardless of columns: another data set's schema would refuse
     * every row. Empty when none fits.
     */
    public Optional<Versioned> forColumns(String featureSet, java.util.Collection<String> columns) throws SQLException {
        for (Versioned v : inFeatureSet(featureSet)) {
            boolean fits = v.schema().names().containsAll(columns);
            for (FeatureSpec spec : v.schema().features()) {
                fits &= spec.nullable() || columns.contains(spec.name());
            }
            if (fits) {
                return Optional.of(v);
            }
        }
        return Optional.empty();
    }

    /** The names of the store's feature sets, sorted. */
    public java.util.SortedSet<String> featureSets() throws SQLException {
        java.util.SortedSet<String> out = new java.util.TreeSet<>();
        try (Connection c = db.connection(); PreparedStatement q = c.prepareStatement("SELECT name FROM feature_sets");
             ResultSet rs = q.executeQuery()) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
    }

    /** The schemas used by {@code featureSet} (every schema when it is empty), newest first. */
    public java.util.List<Versioned> inFeatureSet(String featureSet) throws SQLException {
        boolean all = featureSet == null || featureSet.isEmpty();
        java.util.List<Versioned> out = new java.util.ArrayList<>();
        try (Connection c = db.connection(); PreparedStatement q = c.prepareStatement(all
                ? "SELECT version, schema::text FROM feature_schemas ORDER BY version DESC"
                : "SELECT s.version, s.schema::text FROM feature_schemas s JOIN feature_set_schemas f"
                + " ON f.schema_version = s.version WHERE f.feature_set = ? ORDER BY s.version DESC")) {
            if (!all) {
                q.setString(1, featureSet);
            }
            try (ResultSet rs = q.executeQuery()) {
                while (rs.next()) {
                    out.add(new Versioned(rs.getInt(1), SchemaCodec.fromJson(rs.getString(2))));
                }
            }
        }
        return out;
    }

    /** The most recently registered schema. */
    public Optional<Versioned> latest() throws SQLException {
        return find("SELECT version, schema::text FROM feature_schemas ORDER BY version DESC LIMIT 1", null);
    }

    /** The most recent schema of {@code featureSet} (of any, when empty) that defines {@code feature}. */
    public Optional<Versioned> latestWith(String feature, String featureSet) throws SQLException {
        if (featureSet == null || featureSet.isEmpty()) {
            return latestWith(feature);
        }
        for (Versioned v : inFeatureSet(featureSet)) {
            if (v.schema().feature(feature).isPresent()) {
                return Optional.of(v);
            }
        }
        return Optional.empty();
    }

    /** The most recent schema that defines {@code feature}. */
    public Optional<Versioned> latestWith(String feature) throws SQLException {
        try (Connection c = db.connection(); PreparedStatement q = c.prepareStatement("SELECT version, schema::text"
                + " FROM feature_schemas WHERE schema -> 'features' @> jsonb_build_array(jsonb_build_object('name', ?::text))"
                + " ORDER BY version DESC LIMIT 1")) {
            q.setString(1, feature);
            try (ResultSet rs = q.executeQuery()) {
                return rs.next() ? Optional.of(new Versioned(rs.getInt(1), SchemaCodec.fromJson(rs.getString(2))))
                        : Optional.empty();
            }
        }
    }

    public Optional<Versioned> get(int version) throws SQLException {
        return find("SELECT version, schema::text FROM feature_schemas WHERE version = ?", version);
    }

    private Optional<Versioned> find(String sql, Integer arg) throws SQLException {
        try (Connection c = db.connection(); PreparedStatement q = c.prepareStatement(sql)) {
            if (arg != null) {
                q.setInt(1, arg);
            }
            try (ResultSet rs = q.executeQuery()) {
                return rs.next() ? Optional.of(new Versioned(rs.getInt(1), SchemaCodec.fromJson(rs.getString(2))))
                        : Optional.empty();
            }
        }
    }
}
