package dev.converge.store;

import dev.converge.contracts.FeatureSchema;
import dev.converge.contracts.FeatureSpec;
import dev.converge.contracts.FeatureType;
import dev.converge.contracts.FeatureVector;
import dev.converge.registry.VectorIndex;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * Similarity search over the online vectors, through JDBC (the CLI, benchmarks and tests; the server runs the same
 * SQL, {@link VectorIndex#searchSql}, on its reactive pool): indexed where pgvector is installed, exact where not.
 */
public final class VectorSearch {
    /** One neighbour: the stored entity id and its distance by the feature's metric. */
    public record Neighbour(String entityId, double distance) {}

    /** The nearest neighbours, nearest first, and whether they are exact (every vector compared) or indexed. */
    public record Result(List<Neighbour> neighbours, boolean exact, String how) {}

    private final Database db;
    private final VectorIndex.Hnsw hnsw;

    public VectorSearch(Database db, VectorIndex.Hnsw hnsw) {
        this.db = db;
        this.hnsw = hnsw;
    }

    /** The vector feature {@code name} of {@code schema}, or a clear error. */
    public static FeatureSpec vectorFeature(FeatureSchema schema, String name) {
        FeatureSpec spec = schema.feature(name).orElseThrow(() -> new IllegalArgumentException("feature '" + name
                + "' is not in the schema"));
        if (spec.type() != FeatureType.VECTOR) {
            throw new IllegalArgumentException("feature '" + name + "' is " + spec.type().wireName()
                    + ", not a vector");
        }
        return spec;
    }

    /**
     * The {@code k} stored vectors of {@code spec} nearest to {@code query}, leaving out {@code exclude} (may be
     * null), among ids starting with {@code prefix}, and entities whose features contain {@code filterJson} (a JSON
     * object, or null).
     */
    public Result search(FeatureSpec spec, FeatureVector query, int k, String exclude, String prefix,
                         String filterJson) throws SQLException {
        try (Connection c = db.connection()) {
            return search(c, VectorIndex.detect(c), spec, query, k, exclude, prefix, filterJson);
        }
    }

    /** The same on a caller's connection, with what {@link VectorIndex#detect} found. */
    public Result search(Connection c, VectorIndex.Support support, FeatureSpec spec, FeatureVector query, int k,
                         String exclude, String prefix, String filterJson) throws SQLException {
        String settings = VectorIndex.settingsSql(support, hnsw);
        if (settings != null) {
            try (Statement st = c.createStatement()) {
                st.execute(settings);
            }
        }
        List<Neighbour> out = new ArrayList<>();
        try (PreparedStatement q = c.prepareStatement(VectorIndex.searchSql(support, spec, false))) {
            int i = 1;
            for (VectorIndex.Param p : VectorIndex.jdbcOrder()) {
                switch (p) {
                    case VECTOR -> q.setString(i++, query.toArrayLiteral());
                    case EXCLUDE -> q.setString(i++, exclude);
                    case PREFIX -> q.setString(i++, prefix == null ? "" : prefix);
                    case FILTER -> q.setString(i++, filterJson);
                    case K -> q.setInt(i++, k);
                }
            }
            try (ResultSet rs = q.executeQuery()) {
                while (rs.next()) {
                    double d = rs.getDouble(2);
                    out.add(new Neighbour(rs.getString(1), rs.wasNull() ? Double.NaN : d));
                }
            }
        }
        return new Result(out, !support.indexed(), support.indexed() ? "hnsw (pgvector " + support.version()
                + ", ef_search " + hnsw.efSearch() + ")" : "exact: " + support.reason());
    }

    /** An entity's stored vector of {@code feature} (its online row's), or null when it has none. */
    public FeatureVector vectorOf(String entityId, String feature) throws SQLException {
        try (Connection c = db.connection(); PreparedStatement q = c.prepareStatement("SELECT v.embedding"
                + " FROM feature_vector_online v JOIN feature_online o ON o.entity_id = v.entity_id"
                + " AND o.ingest_seq = v.ingest_seq WHERE v.entity_id = ? AND v.feature = ?")) {
            q.setString(1, entityId);
            q.setString(2, feature);
            try (ResultSet rs = q.executeQuery()) {
                if (!rs.next()) {
                    return null;
                }
                Float[] values = (Float[]) rs.getArray(1).getArray();
                float[] f = new float[values.length];
                for (int i = 0; i < f.length; i++) {
                    f[i] = values[i];
                }
                return FeatureVector.of(f);
            }
        }
    }
}
