package dev.converge.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.converge.contracts.FeatureSchema;
import dev.converge.contracts.FeatureSpec;
import dev.converge.contracts.FeatureType;
import dev.converge.contracts.FeatureVector;
import dev.converge.contracts.SchemaInference;
import dev.converge.contracts.VectorMetric;
import dev.converge.registry.VectorIndex;
import dev.converge.store.impl.JsonLinesSource;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Vector features in the store (issue 15): validated, stored apart from the documents, read online and point in
 * time, searched with pgvector's HNSW index where the test PostgreSQL has it (recall against exact search), and
 * searched exactly on a PostgreSQL without it (the embedded one), with the same neighbours.
 */
class VectorStoreTest {
    static TestDatabase t;
    static final int DIM = 16;
    static final FeatureSchema SCHEMA = new FeatureSchema(List.of(
            FeatureSpec.of("amount", FeatureType.NUMERIC, dev.converge.contracts.Temperature.HOT, false),
            FeatureSpec.vector("emb", DIM, VectorMetric.COSINE, true)));

    @BeforeAll
    static void start() {
        t = new TestDatabase();
    }

    @AfterAll
    static void stop() throws Exception {
        t.close();
    }

    static JsonLinesSource jsonl(String name, List<String> lines) {
        byte[] bytes = String.join("\n", lines).getBytes(StandardCharsets.UTF_8);
        return new JsonLinesSource(new ByteArrayInputStream(bytes), name, bytes.length);
    }

    static float[] random(Random r, int dim) {
        float[] v = new float[dim];
        for (int i = 0; i < dim; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return v;
    }

    static String row(String id, String ts, double amount, float[] v) {
        return "{\"id\":\"" + id + "\",\"ts\":\"" + ts + "\",\"amount\":" + amount + ",\"emb\":"
                + FeatureVector.of(v) + "}";
    }

    @Test
    void jsonArraysOfNumbersAreInferredAsVectorsOfTheirLength() {
        SchemaInference inference = new SchemaInference();
        inference.add(Map.of("a", List.of(1.0, 2.0, 3.0), "b", List.of(1, 2), "c", 1.0));
        inference.add(Map.of("a", List.of(0.5, -2, 3e-3), "b", List.of(1, 2, 3), "c", 2.0));
        FeatureSchema proposed = inference.propose(1800);
        assertThat(proposed.feature("a").orElseThrow().type()).isEqualTo(FeatureType.VECTOR);
        assertThat(proposed.feature("a").orElseThrow().dimension()).isEqualTo(3);
        assertThat(proposed.feature("a").orElseThrow().metric()).isEqualTo(VectorMetric.COSINE);
        assertThat(proposed.feature("b").orElseThrow().type()).as("lengths differ: not a vector")
                .isNotEqualTo(FeatureType.VECTOR);
    }

    @Test
    void vectorsAreValidatedStoredApartAndReadOnlineAndPointInTime() throws Exception {
        Random r = new Random(1);
        float[] a1 = random(r, DIM);
        float[] a2 = random(r, DIM);
        List<String> lines = new ArrayList<>(List.of(
                row("pa", "2024-01-01T00:00:00Z", 1, a1),
                row("pa", "2024-02-01T00:00:00Z", 2, a2),
                "{\"id\":\"pb\",\"ts\":\"2024-01-01T00:00:00Z\",\"amount\":3}",
                "{\"id\":\"bad1\",\"ts\":\"2024-01-01T00:00:00Z\",\"amount\":3,\"emb\":[1,2,3]}",
                "{\"id\":\"bad2\",\"ts\":\"2024-01-01T00:00:00Z\",\"amount\":3,\"emb\":[1,2,3,4,5,6,7,8,9,10,11,12,"
                        + "13,14,15,\"x\"]}",
                "{\"id\":\"bad3\",\"ts\":\"2024-01-01T00:00:00Z\",\"amount\":3,\"emb\":[1,2,3,4,5,6,7,8,9,10,11,12,"
                        + "13,14,15,1e300]}"));
        IngestReport rep = new Ingestor(t.db).ingest(jsonl("vec.jsonl", lines), SCHEMA,
                IngestOptions.of("id", "ts"), null);
        assertThat(rep.rowsAccepted()).isEqualTo(3);
        assertThat(rep.rowsRejected()).isEqualTo(3);
        assertThat(rep.rejectReasons()).containsEntry("wrong_dimension", 1L).containsEntry("wrong_type", 1L)
                .containsEntry("out_of_range", 1L);
        assertThat(rep.vectorSearch()).isNotNull();
        // Apart from the documents: the JSONB holds no vector.
        assertThat(t.count("SELECT count(*) FROM feature_history WHERE hot ? 'emb' OR cold ? 'emb'")).isZero();
        assertThat(t.count("SELECT count(*) FROM feature_vector_history WHERE entity_id IN ('pa', 'pb')")).isEqualTo(2);

        OnlineRow online = new OnlineStore(t.db).read("pa", true).orElseThrow();
        assertThat(floats(online.cold().get("emb"))).containsExactly(a2);
        assertThat(new OnlineStore(t.db).read("pa", false).orElseThrow().cold()).as("hot only: no vectors").isNull();
        assertThat(new OnlineStore(t.db).read("pb", true).orElseThrow().cold()).isNull();

        List<PitRow> pit = new ArrayList<>();
        new PointInTime(t.db).extract(List.of(new LabelEvent("pa", Instant.parse("2024-01-15T00:00:00Z")),
                new LabelEvent("pa", Instant.parse("2024-03-01T00:00:00Z")),
                new LabelEvent("pb", Instant.parse("2024-03-01T00:00:00Z"))).iterator(), null, true, pit::add);
        assertThat(floats(pit.get(0).cold().get("emb"))).as("the vector as of its time").containsExactly(a1);
        assertThat(floats(pit.get(1).cold().get("emb"))).containsExactly(a2);
        assertThat(pit.get(2).cold()).isNull();

        // The same file again is all duplicates; a row that differs only in its vector is not a duplicate.
        IngestReport again = new Ingestor(t.db).ingest(jsonl("vec.jsonl", lines), SCHEMA,
                IngestOptions.of("id", "ts"), null);
        assertThat(again.rowsDuplicate()).isEqualTo(3);
        float[] changed = a2.clone();
        changed[0] += 1;
        IngestReport correction = new Ingestor(t.db).ingest(jsonl("fix.jsonl", List.of(
                row("pa", "2024-02-01T00:00:00Z", 2, changed))), SCHEMA, IngestOptions.of("id", "ts"), null);
        assertThat(correction.rowsAccepted()).isEqualTo(1);
        assertThat(floats(new OnlineStore(t.db).read("pa", true).orElseThrow().cold().get("emb")))
                .containsExactly(changed);
        // A later row without the vector: the entity has none online any more (not the older one's).
        new Ingestor(t.db).ingest(jsonl("novec.jsonl", List.of("{\"id\":\"pa\",\"ts\":\"2024-03-01T00:00:00Z\","
                + "\"amount\":5}")), SCHEMA, IngestOptions.of("id", "ts"), null);
        assertThat(new OnlineStore(t.db).read("pa", true).orElseThrow().cold()).isNull();
        assertThat(t.count("SELECT count(*) FROM feature_vector_online WHERE entity_id = 'pa'")).isZero();
    }

    static float[] floats(Object stored) {
        List<?> l = (List<?>) stored;
        float[] f = new float[l.size()];
        for (int i = 0; i < f.length; i++) {
            f[i] = ((Number) l.get(i)).floatValue();
        }
        return f;
    }

    /** n random vectors as rows "s0" .. of feature set-less ids with a prefix, and the vectors by id. */
    static List<String> generated(String prefix, int n, long seed, Map<String, float[]> byId) {
        Random r = new Random(seed);
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            float[] v = random(r, DIM);
            byId.put(prefix + i, v);
            lines.add(row(prefix + i, "2024-01-01T00:00:00Z", i % 7, v));
        }
        return lines;
    }

    static List<String> exact(Map<String, float[]> byId, float[] q, int k, VectorMetric metric) {
        return byId.entrySet().stream().sorted(Comparator.comparingDouble(e -> metric.distance(e.getValue(), q)))
                .limit(k).map(Map.Entry::getKey).toList();
    }

    @Test
    void theHnswIndexFindsAtLeast95PercentOfTheExactTenNearest() throws Exception {
        VectorIndex.Support support;
        try (Connection c = t.db.connection()) {
            support = VectorIndex.detect(c);
        }
        assumeThat(support.indexed()).as("pgvector is not installed in the test PostgreSQL (" + support.reason()
                + "); .ci/run installs it").isTrue();
        Map<String, float[]> byId = new java.util.HashMap<>();
        new Ingestor(t.db).ingest(jsonl("recall.jsonl", generated("r", 5000, 7, byId)), SCHEMA,
                IngestOptions.of("id", "ts"), null);
        assertThat(t.count("SELECT count(*) FROM pg_indexes WHERE schemaname = current_schema() AND indexname = '"
                + VectorIndex.indexName(SCHEMA.feature("emb").orElseThrow()) + "'")).isEqualTo(1);
        VectorSearch search = new VectorSearch(t.db, new VectorIndex.Hnsw(16, 64, 40));
        FeatureSpec emb = SCHEMA.feature("emb").orElseThrow();
        Random r = new Random(99);
        int found = 0;
        int queries = 100;
        for (int q = 0; q < queries; q++) {
            float[] query = random(r, DIM);
            VectorSearch.Result got = search.search(emb, FeatureVector.of(query), 10, null, "r", null);
            assertThat(got.exact()).isFalse();
            Set<String> truth = new HashSet<>(exact(byId, query, 10, VectorMetric.COSINE));
            found += (int) got.neighbours().stream().filter(n -> truth.contains(n.entityId())).count();
        }
        double recall = found / (queries * 10.0);
        assertThat(recall).as("recall@10 at ef_search 40").isGreaterThanOrEqualTo(0.95);
        // Filters combine with the index: amount = 3 only, and the neighbours are the exact ones among those.
        float[] query = random(r, DIM);
        VectorSearch.Result filtered = search.search(emb, FeatureVector.of(query), 10, null, "r", "{\"amount\": 3}");
        Map<String, float[]> threes = new java.util.HashMap<>();
        byId.forEach((id, v) -> {
            if (Integer.parseInt(id.substring(1)) % 7 == 3) {
                threes.put(id, v);
            }
        });
        assertThat(filtered.neighbours()).hasSize(10);
        assertThat(filtered.neighbours().stream().map(VectorSearch.Neighbour::entityId))
                .allMatch(threes::containsKey);
        long agree = filtered.neighbours().stream().map(VectorSearch.Neighbour::entityId)
                .filter(new HashSet<>(exact(threes, query, 10, VectorMetric.COSINE))::contains).count();
        assertThat(agree).isGreaterThanOrEqualTo(9);
    }

    @Test
    void withoutPgvectorTheSearchIsExactAndFindsTheSameNeighbours() throws Exception {
        Map<String, float[]> byId = new java.util.HashMap<>();
        List<String> lines = generated("e", 300, 11, byId);
        try (EmbeddedPostgres pg = EmbeddedPostgres.builder().setServerConfig("listen_addresses", "127.0.0.1")
                .start()) {
            Database plain = Database.connect("jdbc:postgresql://127.0.0.1:" + pg.getPort() + "/postgres",
                    "postgres", null, null);
            plain.migrate();
            IngestReport rep = new Ingestor(plain).ingest(jsonl("exact.jsonl", lines), SCHEMA,
                    IngestOptions.of("id", "ts"), null);
            assertThat(rep.vectorSearch()).startsWith("exact search only: the pgvector extension is not installed");
            VectorSearch exactSearch = new VectorSearch(plain, VectorIndex.Hnsw.DEFAULTS);
            FeatureSpec emb = SCHEMA.feature("emb").orElseThrow();
            Random r = new Random(5);
            for (int q = 0; q < 20; q++) {
                float[] query = random(r, DIM);
                VectorSearch.Result got = exactSearch.search(emb, FeatureVector.of(query), 10, "e3", "e", null);
                assertThat(got.exact()).isTrue();
                assertThat(got.how()).startsWith("exact");
                Map<String, float[]> others = new java.util.HashMap<>(byId);
                others.remove("e3");
                assertThat(got.neighbours().stream().map(VectorSearch.Neighbour::entityId).toList())
                        .containsExactlyElementsOf(exact(others, query, 10, VectorMetric.COSINE));
                assertThat(got.neighbours().get(0).distance()).isCloseTo(VectorMetric.COSINE.distance(
                        byId.get(got.neighbours().get(0).entityId()), query), org.assertj.core.data.Offset.offset(1e-6));
            }
            for (VectorMetric m : VectorMetric.values()) {
                FeatureSpec other = FeatureSpec.vector("emb", DIM, m, true);
                float[] query = random(r, DIM);
                assertThat(exactSearch.search(other, FeatureVector.of(query), 5, null, "e", null).neighbours().stream()
                        .map(VectorSearch.Neighbour::entityId).toList()).as(m.wireName())
                        .containsExactlyElementsOf(exact(byId, query, 5, m));
            }
            // On the indexed PostgreSQL, the same data and queries give the same neighbours (300 vectors: the
            // index's candidate list of 100 holds the true ten).
            VectorIndex.Support support;
            try (Connection c = t.db.connection()) {
                support = VectorIndex.detect(c);
            }
            if (support.indexed()) {
                new Ingestor(t.db).ingest(jsonl("exact.jsonl", lines), SCHEMA, IngestOptions.of("id", "ts"), null);
                VectorSearch indexed = new VectorSearch(t.db, VectorIndex.Hnsw.DEFAULTS);
                Random r2 = new Random(5);
                for (int q = 0; q < 20; q++) {
                    FeatureVector query = FeatureVector.of(random(r2, DIM));
                    assertThat(indexed.search(emb, query, 10, "e3", "e", null).neighbours().stream()
                            .map(VectorSearch.Neighbour::entityId).toList()).containsExactlyElementsOf(
                            exactSearch.search(emb, query, 10, "e3", "e", null).neighbours().stream()
                                    .map(VectorSearch.Neighbour::entityId).toList());
                }
            } else {
                System.out.println("[VectorStoreTest] " + support.describe() + ": the index's answers are not compared"
                        + " with the exact search here (.ci/run installs pgvector)");
            }
        }
    }
}
