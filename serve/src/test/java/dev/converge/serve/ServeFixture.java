package dev.converge.serve;

import dev.converge.contracts.FeatureSchema;
import dev.converge.model.ArtifactStore;
import dev.converge.registry.ModelReference;
import dev.converge.registry.ModelRegistry;
import dev.converge.registry.NewModelVersion;
import dev.converge.registry.codec.Json;
import dev.converge.registry.codec.SchemaCodec;
import dev.converge.store.Database;
import dev.converge.store.IngestOptions;
import dev.converge.store.Ingestor;
import dev.converge.store.SchemaProposal;
import dev.converge.store.impl.CsvSource;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * A real store for the serve tests: a fresh schema on the test PostgreSQL, lending_club ingested (entity ids are
 * row numbers), and the two fixture models (src/test/resources/models) registered as versions 1 (GLM) and 2
 * (XGBoost) of {@code credit_risk}, with v1 promoted.
 */
final class ServeFixture implements AutoCloseable {
    static final String URL = dev.converge.testkit.TestServices.postgresUrl();
    static final Path ROOT = Path.of(System.getProperty("converge.root", ".."));
    final String schema = "sv_" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
    final Database db;
    final ModelRegistry registry;

    ServeFixture(Path work) throws Exception {
        this(work, URL);
    }

    /** On any PostgreSQL, e.g. one the test starts and stops itself. */
    ServeFixture(Path work, String url) throws Exception {
        db = Database.connect(url, "postgres", null, schema);
        db.migrate();
        Path data = ROOT.resolve("examples/data/lending_club.csv");
        FeatureSchema inferred = SchemaProposal.propose(data, IngestOptions.of(null, null), 10_000);
        try (CsvSource src = new CsvSource(data)) {
            new Ingestor(db).ingest(src, inferred, IngestOptions.of(null, null), null);
        }
        registry = new ModelRegistry(db.dataSource());
        register(work, "glm");
        register(work, "xgboost");
        registry.promote("credit_risk", 1, "test", "fixture");
    }

    private void register(Path work, String fixture) throws Exception {
        register(work, fixture, "credit_risk");
    }

    /** Registers fixture model {@code fixture} (glm, xgboost) as the next version of model {@code name}. */
    @SuppressWarnings("unchecked")
    void register(Path work, String fixture, String name) throws Exception {
        Path mojo = work.resolve(fixture + ".zip");
        try (InputStream in = getClass().getResourceAsStream("/models/" + fixture + ".zip")) {
            Files.copy(in, mojo, StandardCopyOption.REPLACE_EXISTING);
        }
        Map<String, Object> meta;
        try (InputStream in = getClass().getResourceAsStream("/models/" + fixture + ".json")) {
            meta = Json.readMap(new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8));
        }
        FeatureSchema modelSchema = SchemaCodec.fromJson(Json.write(meta.get("feature_schema")));
        registry.register(new NewModelVersion(name, (String) meta.get("algorithm"), mojo.toUri().toString(),
                        ArtifactStore.sha256(mojo), Files.size(mojo), (String) meta.get("h2o_version"),
                        (String) meta.get("mojo_version"), "fixture", modelSchema, null, null,
                        (Map<String, Object>) meta.get("metrics")),
                new ModelReference(UUID.randomUUID(), (List<Map<String, Object>>) meta.get("reference_rows"),
                        (List<Map<String, Object>>) meta.get("reference_predictions"),
                        (Map<String, Object>) meta.get("baselines"), (Map<String, Object>) meta.get("scoring_latency")),
                "test");
    }

    /** Waits up to 30 s for the server to be ready (a verified model, warmed up); returns the model (or null). */
    static dev.converge.serve.model.ModelHandle awaitModel(PredictionServer server) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 30_000;
        while (!server.readiness().ready() && System.currentTimeMillis() < deadline) {
            Thread.sleep(50);
        }
        return server.activeModel();
    }

    @Override
    public void close() throws Exception {
        try (var c = db.connection()) {
            c.createStatement().execute("DROP SCHEMA " + schema + " CASCADE");
        }
    }
}
