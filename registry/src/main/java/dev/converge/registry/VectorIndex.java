package dev.converge.registry;

import dev.converge.contracts.FeatureSchema;
import dev.converge.contracts.FeatureSpec;
import dev.converge.contracts.FeatureType;
import dev.converge.contracts.VectorMetric;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * pgvector in the feature store (here, beside the other SQL the serving jar shares with the store): whether the
 * database has it, the HNSW index of each vector feature, and the SQL of a
 * similarity search, indexed or exact.
 *
 * <p>Vectors are {@code real[]} in {@code feature_vector_online} (migration V10). Where pgvector is installed, each
 * vector feature has a partial HNSW index on {@code embedding::vector(n)} with its metric's operator class, and a
 * search orders by that expression, which the index answers (approximately: recall depends on
 * {@code hnsw.ef_search}). Where it is not (the embedded PostgreSQL has none), the same search is exact: every
 * stored vector of the feature is compared ({@code converge_vector_distance}), slower, and said so in the answer.
 *
 * <p>HNSW, not IVFFlat: an HNSW index can be built on an empty table and stays good as rows arrive, so it is made
 * when a schema with the feature is registered; IVFFlat learns its lists from the rows present at build time and
 * degrades as the data moves away from them (docs/decisions/0014).
 */
public final class VectorIndex {
    /** HNSW build parameters (pgvector's defaults) and the search's candidate list size. */
    public record Hnsw(int m, int efConstruction, int efSearch) {
        public static final Hnsw DEFAULTS = new Hnsw(16, 64, 100);

        public Hnsw {
            if (m < 2 || m > 100) {
                throw new IllegalArgumentException("HNSW m (--hnsw-m) must be within [2, 100], was " + m);
            }
            if (efConstruction < 2 * m || efConstruction > 1000) {
                throw new IllegalArgumentException("HNSW ef_construction (--hnsw-ef-construction) must be within [2 * m, 1000], was "
                        + efConstruction);
            }
            if (efSearch < 1 || efSearch > 1000) {
                throw new IllegalArgumentException("ef_search must be within [1, 1000], was " + efSearch);
            }
        }
    }

    /**
     * What the database offers.
     *
     * @param schema  the schema pgvector's objects live in (quoted for SQL), or null when it is not installed
     * @param version pgvector's version, or null
     * @param reason  why searches are exact, when they are; null when indexed
     */
    public record Support(String schema, String version, String reason) {
        public boolean indexed() {
            return schema != null;
        }

        /** One line for reports and logs. */
        public String describe() {
            return indexed() ? "HNSW index (pgvector " + version + ")" : "exact search only: " + reason;
        }
    }

    private VectorIndex() {}

    /**
     * Finds pgvector in the database, creating the extension (in schema public, where every schema's search can
     * name it) when the server has it available and the user may. Never fails: without it, searches are exact.
     */
    public static Support detect(Connection c) throws SQLException {
        Support found = installed(c);
        if (found != null) {
            return found;
        }
        boolean available;
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(
                "SELECT count(*) FROM pg_available_extensions WHERE name = 'vector'")) {
            rs.next();
            available = rs.getInt(1) > 0;
        }
        if (!available) {
            return new Support(null, null, NOT_INSTALLED);
        }
        boolean auto = c.getAutoCommit();
        try (Statement st = c.createStatement()) {
            c.setAutoCommit(true);
            st.execute("CREATE EXTENSION IF NOT EXISTS vector SCHEMA public");
        } catch (SQLException e) {
            Support raced = installed(c); // another process created it first (a unique violation here)
            if (raced != null) {
                return raced;
            }
            return new Support(null, null, "pgvector is available but could not be created here (" + e.getMessage()
                    + "); a superuser can run CREATE EXTENSION vector SCHEMA public");
        } finally {
            c.setAutoCommit(auto);
        }
        Support created = installed(c);
        return created != null ? created : new Support(null, null, "pgvector was created but is not visible");
    }

    /** pgvector's schema (quoted) and version, one row when it is installed. */
    public static final String INSTALLED_SQL = "SELECT quote_ident(n.nspname), e.extversion FROM pg_extension e"
            + " JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'vector'";

    /** The reason searches are exact when the database has no pgvector (for a server, which creates nothing). */
    public static final String NOT_INSTALLED = "the pgvector extension is not installed in this PostgreSQL (the"
            + " embedded one has none; see the README to get the index)";

    private static Support installed(Connection c) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(INSTALLED_SQL)) {
            return rs.next() ? new Support(rs.getString(1), rs.getString(2), null) : null;
        }
    }

    /** The vector features of a schema. */
    public static List<FeatureSpec> vectors(FeatureSchema schema) {
        List<FeatureSpec> out = new ArrayList<>();
        for (FeatureSpec s : schema.features()) {
            if (s.type() == FeatureType.VECTOR) {
                out.add(s);
            }
        }
        return out;
    }

    /**
     * Creates the HNSW index of each vector feature of {@code schema} that has none (by name: feature, dimension and
     * metric), when pgvector is there. Returns the indexes created.
     */
    public static List<String> ensure(Connection c, Support support, FeatureSchema schema, Hnsw hnsw)
            throws SQLException {
        List<String> created = new ArrayList<>();
        if (!support.indexed()) {
            return created;
        }
        for (FeatureSpec spec : vectors(schema)) {
            String name = indexName(spec);
            try (PreparedStatement q = c.prepareStatement("SELECT to_regclass(?) IS NOT NULL")) {
                q.setString(1, name);
                try (ResultSet rs = q.executeQuery()) {
                    rs.next();
                    if (rs.getBoolean(1)) {
                        continue;
                    }
                }
            }
            boolean auto = c.getAutoCommit();
            try (Statement st = c.createStatement()) {
                c.setAutoCommit(true);
                st.execute("CREATE INDEX IF NOT EXISTS " + name + " ON feature_vector_online USING hnsw ("
                        + "(" + cast("embedding", support, spec) + ") " + support.schema() + "."
                        + spec.metric().operatorClass() + ") WITH (m = " + hnsw.m() + ", ef_construction = "
                        + hnsw.efConstruction() + ") WHERE feature = " + literal(spec.name()));
                created.add(name);
            } finally {
                c.setAutoCommit(auto);
            }
        }
        return created;
    }

    /** The index of a vector feature: its name, dimension and metric in a name PostgreSQL keeps (63 bytes). */
    public static String indexName(FeatureSpec spec) {
        String slug = spec.name().toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "_");
        String hash = Integer.toHexString(spec.name().hashCode() & 0x7fffffff);
        slug = slug.length() > 24 ? slug.substring(0, 24) : slug;
        return "fvo_hnsw_" + slug + "_" + spec.dimension() + "_" + spec.metric().wireName().charAt(0) + "_" + hash;
    }

    /**
     * A lateral subquery of one row: the vectors of {@code alias}'s online row (of {@code feature_online}), as a JSON
     * object of feature to array of numbers, or null when it has none. Vectors of an older row are not its.
     */
    public static String vectorsOf(String alias) {
        return "(SELECT jsonb_object_agg(fv.feature, to_jsonb(fv.embedding)) FROM feature_vector_online fv"
                + " WHERE fv.entity_id = " + alias + ".entity_id AND fv.ingest_seq = " + alias + ".ingest_seq)";
    }

    /** The parameters of a search, in the order {@link #searchSql} numbers them. */
    public enum Param { VECTOR, EXCLUDE, PREFIX, FILTER, K }

    /**
     * The SQL of a search: the {@code k} nearest vectors of {@code spec} to {@link Param#VECTOR} (a {@code real[]}
     * literal), as (entity_id, distance), nearest first, leaving out the entity {@link Param#EXCLUDE} (or none when
     * null), within the ids starting with {@link Param#PREFIX} (a feature set's, or ""), among the entities whose
     * features contain the JSON object {@link Param#FILTER} ({@code @>}; any when null).
     *
     * @param numbered {@code $1 .. $5} by {@link Param#ordinal()} + 1 (the reactive client), else JDBC's {@code ?}
     *                 in the order {@link #jdbcOrder()} gives
     */
    public static String searchSql(Support support, FeatureSpec spec, boolean numbered) {
        String vector = numbered ? "$1" : "?";
        String distance = support.indexed()
                ? cast("v.embedding", support, spec) + " OPERATOR(" + support.schema() + "." + spec.metric().operator()
                        + ") " + cast(vector + "::real[]", support, spec)
                : "converge_vector_distance(v.embedding, " + vector + "::real[], " + literal(spec.metric().wireName())
                        + ")";
        String exclude = numbered ? "$2" : "?";
        String prefix = numbered ? "$3" : "?";
        String filter = numbered ? "$4" : "?";
        String k = numbered ? "$5" : "?";
        // The feature is a literal so the partial index's predicate is proven; the filters join the online row.
        return "SELECT v.entity_id, " + distance + " AS distance FROM feature_vector_online v"
                + " WHERE v.feature = " + literal(spec.name())
                + " AND (" + exclude + "::text IS NULL OR v.entity_id <> " + exclude + "::text)"
                + " AND starts_with(v.entity_id, " + prefix + "::text)"
                + " AND (" + filter + "::jsonb IS NULL OR EXISTS (SELECT 1 FROM feature_online o"
                + " WHERE o.entity_id = v.entity_id AND o.hot || coalesce(o.cold, '{}') @> " + filter + "::jsonb))"
                + " ORDER BY distance LIMIT " + k;
    }

    /** The parameters of {@link #searchSql} with {@code numbered} false, in the order of its question marks. */
    public static List<Param> jdbcOrder() {
        return List.of(Param.VECTOR, Param.EXCLUDE, Param.EXCLUDE, Param.PREFIX, Param.FILTER, Param.FILTER, Param.K);
    }

    /** The session settings a search runs with: the candidate list size, and iterative scans under filters. */
    public static String settingsSql(Support support, Hnsw hnsw) {
        return support.indexed() ? "SET hnsw.ef_search = " + hnsw.efSearch() + "; SET hnsw.iterative_scan = strict_order"
                : null;
    }

    private static String cast(String expression, Support support, FeatureSpec spec) {
        return "(" + expression + ")::" + support.schema() + ".vector(" + spec.dimension() + ")";
    }

    static String literal(String s) {
        return "'" + s.replace("'", "''") + "'";
    }
}
