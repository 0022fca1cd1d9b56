package dev.converge.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.converge.store.Database;
import dev.converge.model.ArtifactStore;
import dev.converge.model.MojoInfo;
import dev.converge.train.pipeline.Outcome;
import dev.converge.train.pipeline.Pipeline;
import dev.converge.train.pipeline.PipelineSpec;
import dev.converge.model.Mojo;
import dev.converge.store.IngestOptions;
import dev.converge.store.Ingestor;
import dev.converge.store.PitRow;
import dev.converge.store.impl.JsonLinesSource;
import dev.converge.registry.ModelReference;
import dev.converge.registry.ModelRegistry;
import dev.converge.registry.ModelVersion;
import dev.converge.registry.TrainingRuns;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The whole pipeline against the real test PostgreSQL and an embedded H2O node. */
class PipelineIT {
    static final String URL = dev.converge.testkit.TestServices.postgresUrl();
    static final String SCHEMA = "tr_" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
    static Database db;

    @TempDir
    static Path work;

    @BeforeAll
    static void setUp() throws Exception {
        db = Database.connect(URL, "postgres", null, SCHEMA);
        db.migrate();
        StringBuilder jsonl = new StringBuilder();
        for (PitRow r : SyntheticData.rows(2500, 11)) {
            Map<String, Object> row = new java.util.LinkedHashMap<>(r.hot());
            row.put("id", r.entityId());
            row.put("ts", r.labelTime().toString());
            jsonl.append(dev.converge.registry.codec.Json.write(row)).append('\n');
        }
        byte[] bytes = jsonl.toString().getBytes(StandardCharsets.UTF_8);
        new Ingestor(db).ingest(new JsonLinesSource(new ByteArrayInputStream(bytes), "synthetic.jsonl", bytes.length),
                SyntheticData.SCHEMA, IngestOptions.of("id", "ts"), null);
        // A free pair, not a fixed one: 54431 lies in Linux's ephemeral range, where any outgoing connection (JDBC,
        // Redis) may hold it, and H2O that cannot bind its port exits the JVM with 255.
        H2oCloud.start(H2oCloud.Config.local(work.resolve("h2o"), H2oCloud.freePortPair("127.0.0.1", 54431)));
    }

    @AfterAll
    static void tearDown() throws Exception {
        try (var c = db.connection()) {
            c.createStatement().execute("DROP SCHEMA " + SCHEMA + " CASCADE");
        }
    }

    private static PipelineSpec spec(String model, double budgetMicros, List<Map<String, Object>> matrix) {
        return PipelineSpec.fromMap(Map.of("name", "it", "model", model, "blocks", List.of(
                Map.of("id", "load", "type", "pit_loader", "label", "label"),
                Map.of("id", "table", "type", "to_table"),
                Map.of("id", "split", "type", "walk_forward", "folds", 2),
                Map.of("id", "sweep", "type", "fan_out", "parallelism", 2, "matrix", matrix),
                Map.of("id", "best", "type", "best_run", "metric", "auc"),
                Map.of("id", "export", "type", "export", "scoring_budget_p99_us", budgetMicros,
                        "artifacts", work.resolve("artifacts").toString(), "auto_promote", Map.of("margin", 0.0)))),
                "it.yaml");
    }

    private static Outcome run(PipelineSpec spec) throws Exception {
        return run(new ByteArrayOutputStream(), spec);
    }

    /** Runs {@code spec}, its log to {@code log}. */
    private static Outcome run(ByteArrayOutputStream log, PipelineSpec spec) throws Exception {
        return new Pipeline(new Pipeline.Context(db, work.resolve("artifacts").toString(), "it", "abc123",
                new PrintStream(log, true, StandardCharsets.UTF_8))).run(spec);
    }

    @Test
    void theRegistryRowTheArtifactAndTheReferencePredictionsAgree() throws Exception {
        Outcome o = run(spec("it_model", 100_000, List.of(
                Map.of("algorithm", "glm", "params", Map.of("alpha", 5.0)), // invalid: must fail, not sink the sweep
                Map.of("algorithm", "gbm", "grid", Map.of("max_depth", List.of(2, 4)), "params", Map.of("ntrees", 20)),
                Map.of("algorithm", "automl", "params", Map.of("max_runtime_secs", 8, "max_models", 2)))));

        ModelVersion v = o.registered();
        assertThat(v).isNotNull();
        assertThat(o.promoted()).isTrue();
        assertThat(new ModelRegistry(db.dataSource()).champion("it_model").orElseThrow().version()).isEqualTo(v.version());
        Path artifact = Path.of(URI.create(v.artifactUri()));
        assertThat(ArtifactStore.sha256(artifact)).isEqualTo(v.artifactSha256());
        assertThat(Files.size(artifact)).isEqualTo(v.artifactSize());
        assertThat(v.h2oVersion()).isEqualTo(MojoInfo.read(artifact).h2oVersion()).isEqualTo("3.44.0.1");
        assertThat(v.gitCommit()).isEqualTo("abc123");
        assertThat(v.trainingWindowEnd()).isNotNull();
        assertThat(v.metrics()).containsKeys("auc", "logloss", "sweep_id");
        assertThat(v.metrics()).as("the second class in sort order, as H2O takes it").containsEntry("positive_class",
                "yes");

        ModelReference ref = new ModelRegistry(db.dataSource()).reference("it_model", v.version()).orElseThrow();
        assertThat(ref.rows()).hasSizeGreaterThan(10).hasSameSizeAs(ref.predictions());
        assertThat(ref.baselines()).containsKeys("x1", "x2", "grade", "(prediction)");
        @SuppressWarnings("unchecked")
        Map<String, Object> predicted = (Map<String, Object>) ref.baselines().get("(prediction)");
        assertThat(predicted.get("source")).as("a binomial model's probability").isEqualTo("probability");
        assertThat(predicted).containsKeys("class", "edges", "shares", "missing_share");
        Mojo reloaded = Mojo.load(artifact);
        for (int i = 0; i < ref.rows().size(); i++) {
            double[] now = reloaded.raw(ref.rows().get(i));
            @SuppressWarnings("unchecked")
            List<Number> stored = (List<Number>) ref.predictions().get(i).get("values");
            for (int k = 0; k < now.length; k++) {
                assertThat(now[k]).isEqualTo(stored.get(k).doubleValue());
            }
        }

        List<TrainingRuns.Run> runs = new TrainingRuns(db.dataSource()).sweep(o.sweepId());
        assertThat(runs).hasSize(4);
        assertThat(runs.get(0).status()).isEqualTo("failed");
        assertThat(runs.get(0).error()).contains("alpha");
        assertThat(runs.subList(1, 4)).allSatisfy(r -> assertThat(r.status()).isEqualTo("succeeded"));
    }

    @Test
    void aModelOverTheScoringBudgetIsNotRegisteredAndTheRunSaysWhy() throws Exception {
        int before = new ModelRegistry(db.dataSource()).list("too_slow").size();

        Outcome o = run(spec("too_slow", 0.001, List.of(
                Map.of("algorithm", "gbm", "params", Map.of("ntrees", 10, "max_depth", 3)))));

        assertThat(o.registered()).isNull();
        assertThat(o.gate().reason()).contains("exceeds the budget of 0.0 us");
        assertThat(new ModelRegistry(db.dataSource()).list("too_slow")).hasSize(before);
        assertThat(Files.list(work.resolve("artifacts").resolve("too_slow"))).isEmpty();
    }

    @Test
    void segmentsAndDroppedColumnsAreHonoured() throws Exception {
        PipelineSpec spec = PipelineSpec.fromMap(Map.of("name", "seg", "model", "seg_model", "blocks", List.of(
                Map.of("id", "load", "type", "pit_loader", "label", "label"),
                Map.of("id", "table", "type", "to_table"),
                Map.of("id", "drop", "type", "drop_columns", "columns", List.of("x2")),
                Map.of("id", "split", "type", "random_split", "ratio", 0.8),
                Map.of("id", "sweep", "type", "fan_out", "matrix", List.of(
                        Map.of("algorithm", "gbm", "params", Map.of("ntrees", 10, "max_depth", 3)),
                        Map.of("algorithm", "gbm", "params", Map.of("ntrees", 10, "max_depth", 3),
                                "segments", Map.of("column", "grade", "values", List.of("A", "B"))))),
                Map.of("id", "best", "type", "best_run"),
                Map.of("id", "export", "type", "export", "artifacts", work.resolve("artifacts").toString()))),
                "seg.yaml");

        Outcome o = run(spec);

        List<TrainingRuns.Run> runs = new TrainingRuns(db.dataSource()).sweep(o.sweepId());
        assertThat(runs).extracting(TrainingRuns.Run::segment).containsExactly("all", "grade=A", "grade=B");
        assertThat(runs).allSatisfy(r -> assertThat(r.status()).isEqualTo("succeeded"));
        long all = ((Number) runs.get(0).metrics().get("holdout_rows")).longValue();
        long a = ((Number) runs.get(1).metrics().get("holdout_rows")).longValue();
        long b = ((Number) runs.get(2).metrics().get("holdout_rows")).longValue();
        assertThat(a).isPositive().isLessThan(all / 2); // grade A is about a quarter of the rows
        assertThat(a + b).isLessThan(all);
        assertThat(((Number) runs.get(1).metrics().get("auc")).doubleValue()).isBetween(0.5, 1.0);
        assertThat(o.champion().config().segment()).isEqualTo("all");
        assertThat(o.registered().featureSchemaJson()).contains("\"x1\"").doesNotContain("\"x2\"");
    }

    @Test
    void aTimedOutTaskStopsItsH2oJobAndTheTaskQueuedBehindItStillRuns() throws Exception {
        PipelineSpec spec = PipelineSpec.fromMap(Map.of("name", "slow", "model", "slow_model", "blocks", List.of(
                Map.of("id", "load", "type", "pit_loader", "label", "label"),
                Map.of("id", "table", "type", "to_table"),
                Map.of("id", "split", "type", "random_split", "ratio", 0.8),
                // One at a time: the quick GBM waits in the queue behind the endless one for its whole timeout.
                Map.of("id", "sweep", "type", "fan_out", "parallelism", 1, "timeout_secs", 2, "matrix", List.of(
                        // Two minutes of AutoML unless it is stopped; the test gives it 2 s.
                        Map.of("algorithm", "automl", "params", Map.of("max_runtime_secs", 120)),
                        Map.of("algorithm", "gbm", "params", Map.of("ntrees", 10, "max_depth", 3)))),
                Map.of("id", "best", "type", "best_run"),
                Map.of("id", "export", "type", "export", "artifacts", work.resolve("artifacts").toString()))),
                "slow.yaml");
        long t0 = System.nanoTime();

        Outcome o = run(spec);

        double took = (System.nanoTime() - t0) / 1e9;
        List<TrainingRuns.Run> runs = new TrainingRuns(db.dataSource()).sweep(o.sweepId());
        assertThat(runs.get(0).status()).isEqualTo("timed_out");
        assertThat(runs.get(0).error()).contains("its H2O job was stopped").doesNotContain("had not ended");
        assertThat(runs.get(1).status()).as("queued behind the slow task, not timed out for it").isEqualTo("succeeded");
        assertThat(took).as("the long job was stopped, not waited out").isLessThan(15);
        for (water.Job<?> j : water.Job.jobs()) {
            assertThat(j.isRunning()).as("H2O job %s still running", j._description).isFalse();
        }
    }

    /** A second data set under the prefix "n-": a numeric 0/1 label and a numeric label of pure noise. */
    private static synchronized void ingestNumericLabels() throws Exception {
        if (numericLabelsIngested) {
            return;
        }
        dev.converge.contracts.FeatureSchema schema = SyntheticData.SCHEMA
                .with(dev.converge.contracts.FeatureSpec.of("y01", dev.converge.contracts.FeatureType.NUMERIC,
                        dev.converge.contracts.Temperature.HOT, true))
                .with(dev.converge.contracts.FeatureSpec.of("noise", dev.converge.contracts.FeatureType.NUMERIC,
                        dev.converge.contracts.Temperature.HOT, true));
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(99);
        StringBuilder jsonl = new StringBuilder();
        for (PitRow r : SyntheticData.rows(2000, 21)) {
            Map<String, Object> row = new java.util.LinkedHashMap<>(r.hot());
            row.put("y01", "yes".equals(r.hot().get("label")) ? 1 : 0);
            row.put("noise", rnd.nextGaussian() * 10);
            row.put("id", "n-" + r.entityId());
            row.put("ts", r.labelTime().toString());
            jsonl.append(dev.converge.registry.codec.Json.write(row)).append('\n');
        }
        byte[] bytes = jsonl.toString().getBytes(StandardCharsets.UTF_8);
        new Ingestor(db).ingest(new JsonLinesSource(new ByteArrayInputStream(bytes), "numeric.jsonl", bytes.length),
                schema, IngestOptions.of("id", "ts"), null);
        numericLabelsIngested = true;
    }

    private static boolean numericLabelsIngested;

    private static PipelineSpec numericSpec(String model, String label, List<String> exclude, String metric) {
        return PipelineSpec.fromMap(Map.of("name", model, "model", model, "blocks", List.of(
                Map.of("id", "load", "type", "pit_loader", "label", label, "entity_prefix", "n-", "exclude", exclude),
                Map.of("id", "table", "type", "to_table"),
                Map.of("id", "split", "type", "random_split", "ratio", 0.8),
                Map.of("id", "sweep", "type", "fan_out", "matrix", List.of(
                        Map.of("algorithm", "gbm", "params", Map.of("ntrees", 40, "max_depth", 6, "min_rows", 1)))),
                Map.of("id", "best", "type", "best_run", "metric", metric),
                Map.of("id", "export", "type", "export", "artifacts", work.resolve("artifacts").toString(),
                        "auto_promote", Map.of("margin", 0.0), "threshold", "f2"))), model + ".yaml");
    }

    @Test
    void aVectorFeatureIsOneInputPerComponentAndTheModelLearnsFromIt() throws Exception {
        dev.converge.contracts.FeatureSchema schema = new dev.converge.contracts.FeatureSchema(List.of(
                dev.converge.contracts.FeatureSpec.of("noise", dev.converge.contracts.FeatureType.NUMERIC,
                        dev.converge.contracts.Temperature.HOT, false),
                dev.converge.contracts.FeatureSpec.vector("emb", 4, null, true),
                dev.converge.contracts.FeatureSpec.of("y", dev.converge.contracts.FeatureType.CATEGORICAL,
                        dev.converge.contracts.Temperature.HOT, false)));
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(5);
        StringBuilder jsonl = new StringBuilder();
        for (int i = 0; i < 1500; i++) {
            double[] e = {rnd.nextGaussian(), rnd.nextGaussian(), rnd.nextGaussian(), rnd.nextGaussian()};
            Map<String, Object> row = new java.util.LinkedHashMap<>();
            row.put("id", "vec-" + i);
            row.put("ts", java.time.Instant.parse("2024-01-01T00:00:00Z").plusSeconds(3600L * i).toString());
            row.put("noise", rnd.nextGaussian());
            if (i % 50 != 0) { // a few rows without the vector: its inputs are missing, not zero
                row.put("emb", List.of(e[0], e[1], e[2], e[3]));
            }
            row.put("y", e[0] + e[1] > 0 ? "up" : "down");
            jsonl.append(dev.converge.registry.codec.Json.write(row)).append('\n');
        }
        byte[] bytes = jsonl.toString().getBytes(StandardCharsets.UTF_8);
        new Ingestor(db).ingest(new JsonLinesSource(new ByteArrayInputStream(bytes), "vectors.jsonl", bytes.length),
                schema, IngestOptions.of("id", "ts"), null);
        Outcome o = run(PipelineSpec.fromMap(Map.of("name", "vec", "model", "vec_model", "blocks", List.of(
                Map.of("id", "load", "type", "pit_loader", "label", "y", "entity_prefix", "vec-"),
                Map.of("id", "table", "type", "to_table"),
                Map.of("id", "split", "type", "random_split", "ratio", 0.8),
                Map.of("id", "sweep", "type", "fan_out", "matrix", List.of(
                        Map.of("algorithm", "glm", "params", Map.of()))),
                Map.of("id", "best", "type", "best_run", "metric", "auc"),
                Map.of("id", "export", "type", "export", "artifacts", work.resolve("artifacts").toString(),
                        "auto_promote", Map.of("margin", 0.0)))), "vec.yaml"));

        ModelVersion v = o.registered();
        assertThat(v).isNotNull();
        assertThat(((Number) v.metrics().get("auc")).doubleValue()).as("y is the sign of emb[0] + emb[1]")
                .isGreaterThan(0.95);
        dev.converge.contracts.FeatureSpec recorded = dev.converge.registry.codec.SchemaCodec.fromJson(
                v.featureSchemaJson()).feature("emb").orElseThrow();
        assertThat(recorded.type()).isEqualTo(dev.converge.contracts.FeatureType.VECTOR);
        assertThat(recorded.dimension()).isEqualTo(4);
        Mojo mojo = Mojo.load(Path.of(URI.create(v.artifactUri())));
        ModelReference ref = new ModelRegistry(db.dataSource()).reference("vec_model", v.version()).orElseThrow();
        assertThat(ref.rows().get(0)).containsKeys("emb[0]", "emb[1]", "emb[2]", "emb[3]", "noise");
        assertThat(ref.baselines()).containsKeys("emb[0]", "emb[3]");
        // The row serving builds from the stored vector (FeatureEncoding, as ModelHandle.encode does) scores as
        // training's own encoding of it.
        Map<String, Object> features = new dev.converge.store.OnlineStore(db).read("vec-7", true).orElseThrow().cold();
        Map<String, Object> encoded = new java.util.LinkedHashMap<>();
        List<String> columns = dev.converge.contracts.FeatureEncoding.columns(recorded);
        for (int i = 0; i < columns.size(); i++) {
            encoded.put(columns.get(i), dev.converge.contracts.FeatureEncoding.component(features.get("emb"), i));
        }
        assertThat(encoded.keySet()).containsExactly("emb[0]", "emb[1]", "emb[2]", "emb[3]");
        encoded.put("noise", new dev.converge.store.OnlineStore(db).read("vec-7", false).orElseThrow().hot().get("noise"));
        assertThat(mojo.raw(encoded)).hasSize(2);
        // The model reads its inputs by those names: a clearly "up" vector and a clearly "down" one score apart.
        Map<String, Object> up = new java.util.LinkedHashMap<>(encoded);
        Map<String, Object> down = new java.util.LinkedHashMap<>(encoded);
        List<Object> upVector = List.of(3.0, 3.0, 0.0, 0.0);
        List<Object> downVector = List.of(-3.0, -3.0, 0.0, 0.0);
        for (int i = 0; i < columns.size(); i++) {
            up.put(columns.get(i), dev.converge.contracts.FeatureEncoding.component(upVector, i));
            down.put(columns.get(i), dev.converge.contracts.FeatureEncoding.component(downVector, i));
        }
        assertThat(mojo.score(up).probabilities().get("up")).isGreaterThan(0.9);
        assertThat(mojo.score(down).probabilities().get("up")).isLessThan(0.1);
    }

    @Test
    void aReduceBlockFitsPcaOnTheTrainingRowsAndExportsItBesideTheModelBothReproducingTheReference()
            throws Exception {
        // 24 columns that are noisy copies of 3 factors: 3 components keep nearly all of their variance.
        dev.converge.contracts.FeatureSchema schema = new dev.converge.contracts.FeatureSchema(List.of(
                dev.converge.contracts.FeatureSpec.of("other", dev.converge.contracts.FeatureType.NUMERIC,
                        dev.converge.contracts.Temperature.HOT, false),
                dev.converge.contracts.FeatureSpec.vector("wide", 24, null, false),
                dev.converge.contracts.FeatureSpec.of("y", dev.converge.contracts.FeatureType.CATEGORICAL,
                        dev.converge.contracts.Temperature.HOT, false)));
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(8);
        StringBuilder jsonl = new StringBuilder();
        for (int i = 0; i < 1200; i++) {
            double[] f = {rnd.nextGaussian(), rnd.nextGaussian(), rnd.nextGaussian()};
            List<Object> wide = new ArrayList<>();
            for (int j = 0; j < 24; j++) {
                wide.add(f[j % 3] * (1 + j / 3) + rnd.nextGaussian() * 0.01);
            }
            Map<String, Object> row = new java.util.LinkedHashMap<>();
            row.put("id", "red-" + i);
            row.put("ts", java.time.Instant.parse("2023-01-01T00:00:00Z").plusSeconds(43200L * i).toString());
            row.put("other", rnd.nextGaussian());
            row.put("wide", wide);
            row.put("y", f[0] - f[2] > 0 ? "a" : "b");
            jsonl.append(dev.converge.registry.codec.Json.write(row)).append('\n');
        }
        byte[] bytes = jsonl.toString().getBytes(StandardCharsets.UTF_8);
        new Ingestor(db).ingest(new JsonLinesSource(new ByteArrayInputStream(bytes), "wide.jsonl", bytes.length),
                schema, IngestOptions.of("id", "ts"), null);
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        Outcome o = run(log, PipelineSpec.fromMap(Map.of("name", "red", "model", "red_model", "blocks", List.of(
                Map.of("id", "load", "type", "pit_loader", "label", "y", "entity_prefix", "red-"),
                Map.of("id", "table", "type", "to_table"),
                Map.of("id", "split", "type", "walk_forward", "folds", 3),
                Map.of("id", "reduce", "type", "reduce", "columns", List.of("wide"), "variance", 0.99),
                Map.of("id", "sweep", "type", "fan_out", "matrix", List.of(
                        Map.of("algorithm", "glm", "params", Map.of()))),
                Map.of("id", "best", "type", "best_run", "metric", "auc"),
                Map.of("id", "export", "type", "export", "artifacts", work.resolve("artifacts").toString(),
                        "auto_promote", Map.of("margin", 0.0)))), "red.yaml"));

        String text = log.toString(StandardCharsets.UTF_8);
        assertThat(text).contains("reduce: pca of 24 columns to 3 components", "earlier folds' test rows");
        ModelVersion v = o.registered();
        assertThat(v).as(text).isNotNull();
        assertThat(((Number) v.metrics().get("auc")).doubleValue()).isGreaterThan(0.95);
        @SuppressWarnings("unchecked")
        Map<String, Object> r = (Map<String, Object>) v.metrics().get("reducer");
        assertThat(r).containsEntry("method", "pca").containsEntry("outputs", List.of("PC1", "PC2", "PC3"));
        assertThat(((Number) r.get("fitted_rows")).intValue()).as("the last fold's training rows, not the test rows")
                .isBetween(600, 1199);
        assertThat(((Number) r.get("variance_kept")).doubleValue()).isGreaterThan(0.99);
        Path reducerPath = Path.of(URI.create((String) r.get("artifact_uri")));
        assertThat(ArtifactStore.sha256(reducerPath)).isEqualTo(r.get("artifact_sha256"));
        // The model's schema is the stored features (the vector), not the components.
        assertThat(dev.converge.registry.codec.SchemaCodec.fromJson(v.featureSchemaJson()).names())
                .containsExactlyInAnyOrder("other", "wide");
        ModelReference ref = new ModelRegistry(db.dataSource()).reference("red_model", v.version()).orElseThrow();
        assertThat(ref.rows().get(0)).containsKeys("wide[0]", "wide[23]", "other").doesNotContainKey("PC1");
        assertThat(ref.baselines()).containsKeys("wide[0]", "other").doesNotContainKey("PC1");
        @SuppressWarnings("unchecked")
        List<String> inputs = (List<String>) r.get("inputs");
        Mojo chained = Mojo.load(Path.of(URI.create(v.artifactUri()))).withReducer(dev.converge.model.Reducer
                .fromBytes(Files.readAllBytes(reducerPath), reducerPath.toString(), inputs, List.of("PC1", "PC2", "PC3")));
        assertThat(dev.converge.model.Parity.check(chained, dev.converge.model.ReferencePredictions.fromStored(
                ref.rows(), ref.predictions()))).as("both MOJOs reproduce the reference").isEmpty();
        Mojo alone = Mojo.load(Path.of(URI.create(v.artifactUri())));
        assertThat(dev.converge.model.Parity.check(alone, dev.converge.model.ReferencePredictions.fromStored(
                ref.rows(), ref.predictions()))).as("the model alone does not: it needs the components").isPresent();
    }

    @Test
    void aNumericLabelWithTwoValuesIsClassificationAndTheLogSaysSo() throws Exception {
        ingestNumericLabels();
        ByteArrayOutputStream log = new ByteArrayOutputStream();

        Outcome o = run(log, numericSpec("zero_one", "y01",
                List.of("label", "noise"), "auc"));

        assertThat(log.toString(StandardCharsets.UTF_8)).contains("label 'y01': classification (a numeric label with"
                + " two values [0.0, 1.0]");
        assertThat(o.registered().metrics()).containsKey("auc");
        assertThat(o.registered().metrics().get("classes")).isEqualTo(List.of("0", "1"));
        assertThat(o.registered().metrics().get("threshold_metric")).isEqualTo("max f2 on the validation rows");
        assertThat(((Number) o.registered().metrics().get("threshold")).doubleValue()).isBetween(0.0, 1.0);
    }

    @Test
    void thePositiveClassIsChosenNamedAndRecordedAndH2osThresholdIsSaidToComeFromTheValidationRows()
            throws Exception {
        ByteArrayOutputStream log = new ByteArrayOutputStream();

        Outcome o = run(log, PipelineSpec.fromMap(Map.of("name", "positive", "model", "positive_no", "blocks", List.of(
                Map.of("id", "load", "type", "pit_loader", "label", "label"),
                Map.of("id", "table", "type", "to_table", "positive_class", "no"), // sorts first: H2O's would be yes
                Map.of("id", "split", "type", "random_split", "ratio", 0.8),
                Map.of("id", "sweep", "type", "fan_out", "matrix", List.of(
                        Map.of("algorithm", "gbm", "params", Map.of("ntrees", 20, "max_depth", 3)))),
                Map.of("id", "best", "type", "best_run", "metric", "auc"),
                Map.of("id", "export", "type", "export", "artifacts", work.resolve("artifacts").toString()))),
                "positive.yaml"));

        String text = log.toString(StandardCharsets.UTF_8);
        assertThat(text).contains("positive class: 'no' (positive_class)");
        Map<String, Object> m = o.registered().metrics();
        assertThat(m.get("positive_class")).isEqualTo("no");
        assertThat(m.get("classes")).isEqualTo(List.of("yes", "no"));
        assertThat(Mojo.load(Path.of(URI.create(o.registered().artifactUri()))).classes()).containsExactly("yes", "no");
        assertThat(m.get("threshold_metric")).isEqualTo("h2o: max f1 on the validation rows");
        @SuppressWarnings("unchecked")
        Map<String, Number> onValidation = (Map<String, Number>) m.get("thresholds_on_validation");
        assertThat(((Number) m.get("threshold")).doubleValue()).isEqualTo(onValidation.get("f1").doubleValue());

        assertThatThrownBy(() -> run(PipelineSpec.fromMap(Map.of("name", "p", "model", "positive_bad", "blocks",
                List.of(Map.of("id", "load", "type", "pit_loader", "label", "label"),
                        Map.of("id", "table", "type", "to_table", "positive_class", "maybe"),
                        Map.of("id", "split", "type", "random_split", "ratio", 0.8),
                        Map.of("id", "sweep", "type", "fan_out", "matrix", List.of(Map.of("algorithm", "glm"))),
                        Map.of("id", "best", "type", "best_run", "metric", "auc"),
                        Map.of("id", "export", "type", "export", "artifacts", work.resolve("artifacts").toString()))),
                "p.yaml"))).hasStackTraceContaining("positive_class 'maybe' is not a class of the label 'label'")
                .hasStackTraceContaining("[no, yes]");
    }

    @Test
    void withoutAFeatureSetTheEventsOfOtherSetsAreCountedOutAndTheOneSetWithTheLabelIsTheModels() throws Exception {
        dev.converge.contracts.FeatureSchema hr = new dev.converge.contracts.FeatureSchema(List.of(
                dev.converge.contracts.FeatureSpec.of("tenure", dev.converge.contracts.FeatureType.NUMERIC,
                        dev.converge.contracts.Temperature.HOT, false),
                dev.converge.contracts.FeatureSpec.of("attrition", dev.converge.contracts.FeatureType.CATEGORICAL,
                        dev.converge.contracts.Temperature.HOT, false)));
        dev.converge.contracts.FeatureSchema other = new dev.converge.contracts.FeatureSchema(List.of(
                dev.converge.contracts.FeatureSpec.of("tenure", dev.converge.contracts.FeatureType.NUMERIC,
                        dev.converge.contracts.Temperature.HOT, false)));
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(5);
        StringBuilder a = new StringBuilder();
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < 400; i++) {
            double t = rnd.nextDouble() * 20;
            a.append("{\"id\":\"").append(i).append("\",\"ts\":\"2024-03-01T00:00:00Z\",\"tenure\":").append(t)
                    .append(",\"attrition\":\"").append(t + rnd.nextGaussian() * 3 < 6 ? "Yes" : "No").append("\"}\n");
            b.append("{\"id\":\"").append(i).append("\",\"ts\":\"2024-03-01T00:00:00Z\",\"tenure\":").append(t)
                    .append("}\n");
        }
        for (var f : List.of(Map.entry("hr_people", a), Map.entry("hr_other", b))) {
            byte[] bytes = f.getValue().toString().getBytes(StandardCharsets.UTF_8);
            new Ingestor(db).ingest(new JsonLinesSource(new ByteArrayInputStream(bytes), f.getKey() + ".jsonl",
                    bytes.length), f.getKey().equals("hr_people") ? hr : other,
                    IngestOptions.of("id", "ts").withFeatureSet(f.getKey()), null);
        }
        ByteArrayOutputStream log = new ByteArrayOutputStream();

        Outcome o = run(log, PipelineSpec.fromMap(Map.of("name", "hr", "model", "hr_attrition", "blocks", List.of(
                Map.of("id", "load", "type", "pit_loader", "label", "attrition"),
                Map.of("id", "table", "type", "to_table"),
                Map.of("id", "split", "type", "random_split", "ratio", 0.8),
                Map.of("id", "sweep", "type", "fan_out", "matrix", List.of(Map.of("algorithm", "glm"))),
                Map.of("id", "best", "type", "best_run", "metric", "auc"),
                Map.of("id", "export", "type", "export", "artifacts", work.resolve("artifacts").toString()))),
                "hr.yaml"));

        String text = log.toString(StandardCharsets.UTF_8);
        assertThat(text).containsPattern("have no features or no 'attrition' at their time and are left out \\(by"
                + " feature set: .*hr_other 400").doesNotContain("hr_people 400");
        assertThat(text).contains("every event with 'attrition' is in feature set 'hr_people': the model records it");
        assertThat(o.registered().metrics().get("feature_set")).isEqualTo("hr_people");

        assertThatThrownBy(() -> run(PipelineSpec.fromMap(Map.of("name", "hr2", "model", "hr_none", "blocks",
                List.of(Map.of("id", "load", "type", "pit_loader", "label", "attrition", "entity_prefix", "hr-"),
                        Map.of("id", "table", "type", "to_table"),
                        Map.of("id", "split", "type", "random_split", "ratio", 0.8),
                        Map.of("id", "sweep", "type", "fan_out", "matrix", List.of(Map.of("algorithm", "glm"))),
                        Map.of("id", "best", "type", "best_run", "metric", "auc"),
                        Map.of("id", "export", "type", "export", "artifacts", work.resolve("artifacts").toString()))),
                "hr2.yaml"))).hasStackTraceContaining("no stored entity id starts with 'hr-' (entity_prefix)")
                .hasStackTraceContaining("hr_people").hasStackTraceContaining("feature_set: s reads one");
    }

    @Test
    void aGlmWithLambdaSearchLearnsATargetInTheHundredsOfThousands() throws Exception {
        dev.converge.contracts.FeatureSchema schema = new dev.converge.contracts.FeatureSchema(List.of(
                dev.converge.contracts.FeatureSpec.of("area", dev.converge.contracts.FeatureType.NUMERIC,
                        dev.converge.contracts.Temperature.HOT, false),
                dev.converge.contracts.FeatureSpec.of("rooms", dev.converge.contracts.FeatureType.NUMERIC,
                        dev.converge.contracts.Temperature.HOT, false),
                dev.converge.contracts.FeatureSpec.of("quality", dev.converge.contracts.FeatureType.CATEGORICAL,
                        dev.converge.contracts.Temperature.HOT, false),
                dev.converge.contracts.FeatureSpec.of("price", dev.converge.contracts.FeatureType.NUMERIC,
                        dev.converge.contracts.Temperature.HOT, false)));
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(3);
        StringBuilder jsonl = new StringBuilder();
        for (int i = 0; i < 1500; i++) { // shaped like house prices: a target around 10^5, R^2 about 0.8 possible
            double area = 500 + rnd.nextDouble() * 3000;
            int rooms = 2 + rnd.nextInt(8);
            int q = rnd.nextInt(4);
            double price = 20_000 + 60 * area + 4_000 * rooms + 25_000 * q + rnd.nextGaussian() * 30_000;
            jsonl.append("{\"id\":\"h").append(i).append("\",\"ts\":\"2024-0").append(1 + i % 6)
                    .append("-01T00:00:00Z\",\"area\":").append(area).append(",\"rooms\":").append(rooms)
                    .append(",\"quality\":\"q").append(q).append("\",\"price\":").append(Math.round(price))
                    .append("}\n");
        }
        byte[] bytes = jsonl.toString().getBytes(StandardCharsets.UTF_8);
        new Ingestor(db).ingest(new JsonLinesSource(new ByteArrayInputStream(bytes), "houses.jsonl", bytes.length),
                schema, IngestOptions.of("id", "ts").withFeatureSet("houses"), null);
        ByteArrayOutputStream log = new ByteArrayOutputStream();

        Outcome o = run(log, PipelineSpec.fromMap(Map.of("name", "houses", "model", "house_glm", "blocks", List.of(
                Map.of("id", "load", "type", "pit_loader", "label", "price", "feature_set", "houses"),
                Map.of("id", "table", "type", "to_table"),
                Map.of("id", "split", "type", "random_split", "ratio", 0.8),
                Map.of("id", "sweep", "type", "fan_out", "matrix", List.of(
                        Map.of("algorithm", "glm", "params", Map.of("lambda_search", true)),
                        Map.of("algorithm", "glm"))),
                Map.of("id", "best", "type", "best_run", "metric", "rmse"),
                Map.of("id", "export", "type", "export", "artifacts", work.resolve("artifacts").toString()))),
                "houses.yaml"));

        String text = log.toString(StandardCharsets.UTF_8);
        List<TrainingRuns.Run> runs = new TrainingRuns(db.dataSource()).sweep(o.sweepId());
        assertThat(runs).hasSize(2).allSatisfy(r -> assertThat(((Number) r.metrics().get("r2")).doubleValue())
                .as(text).isGreaterThan(0.7)); // H2O's defaults: -0.003 with the search, 0.02 without
        assertThat(text).contains("lambda_min_ratio").contains("early_stopping false")
                .contains("lambda_search true (no lambda given)");
    }

    @Test
    void aDryRunComparesModelsAndRegistersNothing() throws Exception {
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        PipelineSpec spec = spec("dry_model", 100_000, List.of(Map.of("algorithm", "glm"),
                Map.of("algorithm", "gbm", "params", Map.of("ntrees", 10, "max_depth", 3))));

        Outcome o = new Pipeline(new Pipeline.Context(db, work.resolve("artifacts").toString(), "it", "abc123",
                new PrintStream(log, true, StandardCharsets.UTF_8))).run(spec, true);

        assertThat(o.registered()).isNull();
        assertThat(o.gate()).isNull();
        assertThat(o.promotion()).isEqualTo("a dry run: nothing was registered");
        assertThat(log.toString(StandardCharsets.UTF_8)).contains("[export] export skipped: a dry run registers"
                + " nothing");
        assertThat(new ModelRegistry(db.dataSource()).list("dry_model")).isEmpty();
        assertThat(new TrainingRuns(db.dataSource()).sweep(o.sweepId())).hasSize(2)
                .allSatisfy(r -> assertThat(r.status()).isEqualTo("succeeded"));
    }

    @Test
    void aRegressionWorseThanPredictingTheMeanIsFlaggedAndNeverPromoted() throws Exception {
        ingestNumericLabels();
        ByteArrayOutputStream log = new ByteArrayOutputStream();

        Outcome o = run(log, numericSpec("pure_noise", "noise",
                List.of("label", "y01"), "rmse"));

        String text = log.toString(StandardCharsets.UTF_8);
        assertThat(text).contains("label 'noise': regression");
        assertThat(o.registered().metrics()).containsKeys("rmse", "mae", "r2", "mean_baseline_rmse");
        assertThat(o.registered().metrics().get("worse_than_mean")).as(text).isEqualTo(true);
        assertThat(((Number) o.registered().metrics().get("r2")).doubleValue()).isNegative();
        assertThat(o.promoted()).isFalse();
        assertThat(text).contains("WORSE THAN PREDICTING THE MEAN").contains("not promoted: RMSE");
        assertThat(new ModelRegistry(db.dataSource()).champion("pure_noise")).isEmpty();
    }

    @Test
    void aTimeSeriesOfOneEntityTrainsOnEveryEventWithWeeklyFolds() throws Exception {
        dev.converge.contracts.FeatureSchema schema = new dev.converge.contracts.FeatureSchema(List.of(
                dev.converge.contracts.FeatureSpec.of("ts_x", dev.converge.contracts.FeatureType.NUMERIC,
                        dev.converge.contracts.Temperature.HOT, false),
                dev.converge.contracts.FeatureSpec.of("ts_y", dev.converge.contracts.FeatureType.NUMERIC,
                        dev.converge.contracts.Temperature.HOT, false)));
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(7);
        StringBuilder jsonl = new StringBuilder();
        java.time.Instant day0 = java.time.Instant.parse("2024-01-01T00:00:00Z");
        for (int d = 0; d < 140; d++) { // one entity, one row a day: a series
            double x = rnd.nextDouble() * 10;
            jsonl.append("{\"id\":\"ts-1\",\"ts\":\"").append(day0.plus(java.time.Duration.ofDays(d)))
                    .append("\",\"ts_x\":").append(x).append(",\"ts_y\":").append(3 * x + rnd.nextGaussian())
                    .append("}\n");
        }
        byte[] bytes = jsonl.toString().getBytes(StandardCharsets.UTF_8);
        new Ingestor(db).ingest(new JsonLinesSource(new ByteArrayInputStream(bytes), "series.jsonl", bytes.length),
                schema, IngestOptions.of("id", "ts").withFeatureSet("series"), null);
        ByteArrayOutputStream log = new ByteArrayOutputStream();

        Outcome o = run(log, PipelineSpec.fromMap(Map.of("name", "series",
                "model", "series_model", "blocks", List.of(
                        Map.of("id", "load", "type", "pit_loader", "label", "ts_y", "feature_set", "series",
                                "events", "all"),
                        Map.of("id", "table", "type", "to_table"),
                        Map.of("id", "split", "type", "walk_forward", "period", "week", "test_periods", 2,
                                "gap_periods", 1, "folds", 3),
                        Map.of("id", "sweep", "type", "fan_out", "matrix", List.of(
                                Map.of("algorithm", "glm", "params", Map.of("lambda", 0.0)))),
                        Map.of("id", "best", "type", "best_run", "metric", "rmse"),
                        Map.of("id", "export", "type", "export", "artifacts", work.resolve("artifacts").toString()))),
                "series.yaml"));

        String text = log.toString(StandardCharsets.UTF_8);
        assertThat(text).contains("loaded 140 label events of 1 entity (every stored event");
        assertThat(text).contains("fold 3:");
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> folds = (List<Map<String, Object>>) o.champion().metrics().get("folds");
        assertThat(folds).as("per-fold metrics").hasSize(3).allSatisfy(f -> assertThat(f).containsKeys("rmse", "r2"));
        assertThat(((Number) o.champion().metrics().get("r2")).doubleValue()).isGreaterThan(0.9);
        assertThat(o.registered().metrics().get("feature_set")).as("serving reads this set's entities")
                .isEqualTo("series");
    }

    @Test
    void testRowsThatAreCopiesOfTrainingRowsAreCountedAndTheChampionIsMeasuredOnTestRowsOnly() throws Exception {
        StringBuilder jsonl = new StringBuilder();
        List<PitRow> base = SyntheticData.rows(400, 31);
        for (int copy = 0; copy < 3; copy++) { // resampled: every row three times under different ids
            for (PitRow r : base) {
                Map<String, Object> row = new java.util.LinkedHashMap<>(r.hot());
                row.put("id", "dup" + copy + "-" + r.entityId());
                row.put("ts", r.labelTime().toString());
                jsonl.append(dev.converge.registry.codec.Json.write(row)).append('\n');
            }
        }
        byte[] bytes = jsonl.toString().getBytes(StandardCharsets.UTF_8);
        new Ingestor(db).ingest(new JsonLinesSource(new ByteArrayInputStream(bytes), "resampled.jsonl", bytes.length),
                SyntheticData.SCHEMA, IngestOptions.of("id", "ts"), null);
        ByteArrayOutputStream log = new ByteArrayOutputStream();

        Outcome o = run(log, PipelineSpec.fromMap(Map.of("name", "dups",
                "model", "dups_model", "blocks", List.of(
                        Map.of("id", "load", "type", "pit_loader", "label", "label", "entity_prefix", "dup"),
                        Map.of("id", "table", "type", "to_table"),
                        Map.of("id", "split", "type", "random_split", "ratio", 0.8),
                        Map.of("id", "sweep", "type", "fan_out", "matrix", List.of(
                                Map.of("algorithm", "gbm", "params", Map.of("ntrees", 10, "max_depth", 3)))),
                        Map.of("id", "best", "type", "best_run"),
                        Map.of("id", "export", "type", "export", "artifacts", work.resolve("artifacts").toString()))),
                "dups.yaml"));

        String text = log.toString(StandardCharsets.UTF_8);
        long seen = ((Number) o.champion().metrics().get("test_rows_seen_in_training")).longValue();
        long test = ((Number) o.champion().metrics().get("holdout_rows")).longValue();
        assertThat(seen).as(text).isGreaterThan(test / 2); // most test rows have a copy in training
        assertThat(text).contains("test rows have exactly the features and label of a training row");
        long valid = ((Number) o.champion().metrics().get("validation_rows")).longValue();
        assertThat(valid + test).as("validation is held out of training, apart from test").isLessThan(1200);
        assertThat(valid).isBetween(130L, 150L); // 15% of the 960 training rows
    }

    @Test
    void aDayOfWeekDerivedFromTheEventTimeIsLearnedAndRecordedWithTheModel() throws Exception {
        dev.converge.contracts.FeatureSchema schema = new dev.converge.contracts.FeatureSchema(List.of(
                dev.converge.contracts.FeatureSpec.of("wk_noise", dev.converge.contracts.FeatureType.NUMERIC,
                        dev.converge.contracts.Temperature.HOT, false),
                dev.converge.contracts.FeatureSpec.of("riders", dev.converge.contracts.FeatureType.NUMERIC,
                        dev.converge.contracts.Temperature.HOT, false)));
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(3);
        StringBuilder jsonl = new StringBuilder();
        // Rides at any hour in Chicago: from 18:00 local (CST) on, the UTC date is already the next day, so only a
        // day of week taken in the city's zone sees the weekends as they are.
        java.time.ZonedDateTime day0 = java.time.ZonedDateTime.of(2024, 1, 1, 0, 0, 0, 0,
                java.time.ZoneId.of("America/Chicago")); // a Monday
        for (int d = 0; d < 210; d++) { // weekends are busy: riders depend on the (local) day of week only
            boolean weekend = d % 7 >= 5;
            java.time.Instant at = day0.plusDays(d).plusMinutes(rnd.nextInt(24 * 60)).toInstant();
            jsonl.append("{\"id\":\"line-1\",\"ts\":\"").append(at)
                    .append("\",\"wk_noise\":").append(rnd.nextDouble()).append(",\"riders\":")
                    .append((weekend ? 100 : 20) + rnd.nextGaussian()).append("}\n");
        }
        byte[] bytes = jsonl.toString().getBytes(StandardCharsets.UTF_8);
        new Ingestor(db).ingest(new JsonLinesSource(new ByteArrayInputStream(bytes), "riders.jsonl", bytes.length),
                schema, IngestOptions.of("id", "ts").withFeatureSet("transit"), null);
        ByteArrayOutputStream log = new ByteArrayOutputStream();

        Outcome o = run(log, PipelineSpec.fromMap(Map.of("name", "riders",
                "model", "riders_model", "blocks", List.of(
                        Map.of("id", "load", "type", "pit_loader", "label", "riders", "feature_set", "transit",
                                "events", "all"),
                        Map.of("id", "derive", "type", "derive", "zone", "America/Chicago", "features", List.of(
                                Map.of("name", "dow", "op", "day_of_week", "source", "event_time"))),
                        Map.of("id", "table", "type", "to_table"),
                        Map.of("id", "split", "type", "walk_forward", "period", "week", "test_periods", 2, "folds", 2),
                        Map.of("id", "sweep", "type", "fan_out", "matrix", List.of(
                                Map.of("algorithm", "glm", "params", Map.of("lambda", 0.0)))),
                        Map.of("id", "best", "type", "best_run", "metric", "rmse"),
                        Map.of("id", "export", "type", "export", "artifacts", work.resolve("artifacts").toString()))),
                "riders.yaml"));

        String text = log.toString(StandardCharsets.UTF_8);
        assertThat(text).contains("derived: dow = day_of_week of event_time in America/Chicago");
        assertThat(((Number) o.champion().metrics().get("r2")).doubleValue()).as(text).isGreaterThan(0.99); // in UTC: 0.956
        assertThat(o.registered().metrics().get("derived_features")).isEqualTo(List.of(Map.of("name", "dow", "op",
                "day_of_week", "source", "event_time", "zone", "America/Chicago")));
        assertThat(o.registered().featureSchemaJson()).doesNotContain("\"dow\"");
    }
}
