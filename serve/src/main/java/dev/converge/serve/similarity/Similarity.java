package dev.converge.serve.similarity;

import dev.converge.contracts.EntityId;
import dev.converge.contracts.FeatureSchema;
import dev.converge.contracts.FeatureSpec;
import dev.converge.contracts.FeatureType;
import dev.converge.contracts.FeatureValidator;
import dev.converge.contracts.FeatureVector;
import dev.converge.contracts.UnknownFeaturePolicy;
import dev.converge.contracts.ValidationResult;
import dev.converge.contracts.Violation;
import dev.converge.registry.VectorIndex;
import dev.converge.registry.codec.SchemaCodec;
import dev.converge.serve.pg.PgGateway;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Similarity search for the REST routes (and GraphQL): the k entities whose stored vector of a feature is nearest to
 * a given vector or to an entity's own, through pgvector's HNSW index where it is installed and indexes the feature,
 * exactly (every vector compared) where not, and the answer says which. Runs on the feature store's pool behind the
 * PostgreSQL breaker ({@link PgGateway}); creates nothing in the database.
 */
public final class Similarity {
    /** The most neighbours one search returns. */
    public static final int MAX_K = 1000;
    private static final long SPEC_TTL_NANOS = 30_000_000_000L;
    private static final String SPEC_SQL = "SELECT d.spec::text, (SELECT array_agg(indexname::text) FROM pg_indexes"
            + " WHERE tablename = 'feature_vector_online' AND schemaname = current_schema()) FROM feature_definitions d"
            + " WHERE d.name = $1 ORDER BY d.version DESC LIMIT 1";
    private static final String VECTOR_OF = "SELECT v.embedding FROM feature_vector_online v JOIN feature_online o"
            + " ON o.entity_id = v.entity_id AND o.ingest_seq = v.ingest_seq WHERE v.entity_id = $1 AND v.feature = $2";

    /** A refusal the routes answer with its status, code and the field it names. */
    public static final class Refused extends RuntimeException {
        final int status;
        public final String code;
        final List<Violation> violations;

        Refused(int status, String code, String message, List<Violation> violations) {
            super(message, null, false, false);
            this.status = status;
            this.code = code;
            this.violations = violations;
        }
    }

    /** What a search is asked: the feature, k, the feature set its entities are in, a filter, ef_search. */
    public record Query(String feature, int k, String featureSet, JsonObject filter, Integer efSearch) {}

    private record Feature(FeatureSpec spec, boolean indexed, long readAt) {}

    private final PgGateway online;
    private final Map<String, Feature> features = new ConcurrentHashMap<>();
    private volatile VectorIndex.Support support;
    private volatile long supportAt;

    public Similarity(PgGateway online) {
        this.online = online;
    }

    /** The neighbours of an entity's own stored vector of the feature (the entity itself left out). */
    public Future<JsonObject> ofEntity(String entityId, Query q) {
        String key = EntityId.key(q.featureSet(), entityId);
        return feature(q.feature()).compose(f -> online.query(VECTOR_OF, Tuple.of(key, f.spec().name())).compose(rows -> {
            if (rows.size() == 0) {
                return Future.failedFuture(new Refused(404, "no_vector", "entity '" + entityId + "'"
                        + (q.featureSet().isEmpty() ? "" : " of feature set '" + q.featureSet() + "'")
                        + " has no stored vector '" + f.spec().name() + "'", List.of()));
            }
            Object[] values = rows.iterator().next().getArrayOfFloats(0);
            float[] v = new float[values.length];
            for (int i = 0; i < v.length; i++) {
                v[i] = ((Number) values[i]).floatValue();
            }
            return search(f, FeatureVector.of(v), key, q);
        }));
    }

    /** The neighbours of a vector given in the request (a JSON array of the feature's dimension). */
    public Future<JsonObject> ofVector(Object vector, Query q) {
        return feature(q.feature()).compose(f -> {
            ValidationResult r = new FeatureValidator(new FeatureSchema(List.of(f.spec())), UnknownFeaturePolicy.REJECT)
                    .validate(Map.of(f.spec().name(), vector == null ? List.of() : vector));
            if (!r.valid()) {
                List<Violation> named = r.violations().stream().map(v -> new Violation("vector", v.value(), v.reason(),
                        v.message())).toList();
                return Future.failedFuture(new Refused(422, "invalid_vector", "the vector breaks feature '"
                        + f.spec().name() + "''s contract", named));
            }
            return search(f, (FeatureVector) r.values().get(f.spec().name()), null, q);
        });
    }

    private Future<JsonObject> search(Feature f, FeatureVector vector, String excludeKey, Query q) {
        String prefix = q.featureSet().isEmpty() ? "" : EntityId.key(q.featureSet(), "");
        VectorIndex.Support s = support;
        boolean indexed = s.indexed() && f.indexed();
        String sql = VectorIndex.searchSql(indexed ? s : new VectorIndex.Support(null, null, null), f.spec(), true);
        int ef = q.efSearch() == null ? VectorIndex.Hnsw.DEFAULTS.efSearch() : q.efSearch();
        Float[] components = new Float[vector.dimension()];
        for (int i = 0; i < components.length; i++) {
            components[i] = vector.get(i);
        }
        Tuple args = Tuple.tuple().addArrayOfFloat(components).addString(excludeKey).addString(prefix)
                .addValue(q.filter()).addInteger(q.k());
        long t0 = System.nanoTime();
        Future<RowSet<Row>> rows = !indexed ? online.query(sql, args) : online.transaction(c -> c.query(
                "SET LOCAL hnsw.ef_search = " + ef + "; SET LOCAL hnsw.iterative_scan = strict_order").execute()
                .compose(v -> c.preparedQuery(sql).execute(args)));
        return rows.map(rs -> {
            JsonArray neighbours = new JsonArray();
            for (Row r : rs) {
                String id = r.getString(0);
                Double d = r.getDouble(1);
                neighbours.add(new JsonObject().put("entity_id", prefix.isEmpty() ? id : id.substring(prefix.length()))
                        .put("distance", d == null || d.isNaN() ? null : d));
            }
            JsonObject out = new JsonObject().put("feature", f.spec().name()).put("metric", f.spec().metric().wireName())
                    .put("k", q.k()).put("exact", !indexed);
            if (indexed) {
                out.put("search", "hnsw").put("ef_search", ef);
            } else {
                out.put("search", "exact").put("why", s.indexed() ? "feature '" + f.spec().name() + "' has no HNSW"
                        + " index (it was registered before pgvector was installed; ingest it again, or run"
                        + " converge vectors --index)" : VectorIndex.NOT_INSTALLED);
            }
            if (!prefix.isEmpty()) {
                out.put("feature_set", q.featureSet());
            }
            return out.put("took_ms", (System.nanoTime() - t0) / 1e6).put("neighbours", neighbours);
        });
    }

    /** The feature's latest definition (cached for 30 s) and whether its index exists; pgvector's presence too. */
    private Future<Feature> feature(String name) {
        long now = System.nanoTime();
        Feature cached = features.get(name);
        Future<Void> sup = support != null && now - supportAt < SPEC_TTL_NANOS ? Future.succeededFuture()
                : online.query(VectorIndex.INSTALLED_SQL, Tuple.tuple()).map(rows -> {
                    Row r = rows.size() == 0 ? null : rows.iterator().next();
                    support = r == null ? new VectorIndex.Support(null, null, VectorIndex.NOT_INSTALLED)
                            : new VectorIndex.Support(r.getString(0), r.getString(1), null);
                    supportAt = now;
                    return null;
                });
        if (cached != null && now - cached.readAt() < SPEC_TTL_NANOS) {
            return sup.map(v -> cached);
        }
        return sup.compose(v -> online.query(SPEC_SQL, Tuple.of(name))).compose(rows -> {
            if (rows.size() == 0) {
                return Future.failedFuture(new Refused(404, "unknown_feature", "no feature '" + name
                        + "' is defined in the store", List.of(new Violation("feature", FeatureValidator.render(name),
                        "unknown_feature", "no feature '" + name + "' is defined in the store"))));
            }
            Row r = rows.iterator().next();
            FeatureSpec spec = SchemaCodec.fromJson("{\"features\": [" + r.getString(0) + "]}").features().get(0);
            if (spec.type() != FeatureType.VECTOR) {
                return Future.failedFuture(new Refused(400, "not_a_vector", "feature '" + name + "' is "
                        + spec.type().wireName() + ", not a vector", List.of(new Violation("feature",
                        FeatureValidator.render(name), "not_a_vector", "feature '" + name + "' is "
                        + spec.type().wireName() + ", not a vector"))));
            }
            String[] indexes = r.getArrayOfStrings(1);
            boolean indexed = indexes != null && List.of(indexes).contains(VectorIndex.indexName(spec));
            Feature f = new Feature(spec, indexed, now);
            features.put(name, f);
            return Future.succeededFuture(f);
        });
    }
}
