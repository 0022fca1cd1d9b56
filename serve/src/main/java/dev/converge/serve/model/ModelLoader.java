package dev.converge.serve.model;

import dev.converge.contracts.FeatureSchema;
import dev.converge.model.ArtifactStore;
import dev.converge.model.H2oCompatibility;
import dev.converge.model.ModelRefusedException;
import dev.converge.model.Mojo;
import dev.converge.model.MojoInfo;
import dev.converge.model.Parity;
import dev.converge.model.ReferencePredictions;
import dev.converge.model.ScoringLatency;
import dev.converge.registry.ModelReference;
import dev.converge.registry.ModelRegistry;
import dev.converge.registry.ModelVersion;
import dev.converge.registry.codec.SchemaCodec;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * Loads a registered model and refuses it unless it proves itself: the artifact's bytes match their registered
 * sha256 and size (and those same bytes are loaded), its {@code model.ini} was written by an H2O no newer than this
 * server's h2o-genmodel, and it reproduces the reference predictions stored at training time. Then it measures the
 * per-row scoring cost on those rows. Blocking: runs on a worker thread, never on an event loop.
 */
public final class ModelLoader {
    /**
     * p90 per row after at least 20,000 rows and 300 ms of warm-up, so the JIT has compiled the scoring path, but
     * at most 1 s of warm-up and 1 s of timing for costly models. p90, not p99: on a shared machine the last percent
     * is the scheduler's, not the model's.
     */
    private static final ScoringLatency.Plan COST = new ScoringLatency.Plan(20_000, 300_000_000L, 5_000,
            1_000_000_000L);

    private final ModelRegistry registry;
    private final double inlineMaxMicros;

    public ModelLoader(DataSource registryDb, double inlineMaxMicros) {
        this.registry = new ModelRegistry(registryDb);
        this.inlineMaxMicros = inlineMaxMicros;
    }

    /** The champion's version of {@code name}, if it has one: a cheap read to decide whether to load. */
    public Optional<Integer> championVersion(String name) throws Exception {
        return registry.champion(name).map(ModelVersion::version);
    }

    /** The deployment of {@code name}: its challengers besides the champion. */
    public dev.converge.registry.Deployment deployment(String name) throws java.sql.SQLException {
        return registry.deployment(name);
    }

    /** The registry this loader reads (for a canary's writes). */
    public ModelRegistry registry() {
        return registry;
    }

    /** The champion of {@code name}, or the given version. */
    public ModelHandle load(String name, Integer version) throws Exception {
        ModelVersion v = (version == null ? registry.champion(name) : registry.show(name, version))
                .orElseThrow(() -> new ModelRefusedException(name, version, ModelRefusedException.Reason.NOT_FOUND,
                        version == null ? noChampion(name) : "model '" + name + "' has no version " + version));
        Path artifact = Path.of(URI.create(v.artifactUri()));
        Mojo mojo;
        try {
            byte[] bytes = ArtifactStore.readVerified(artifact, v.artifactSha256(), v.artifactSize());
            H2oCompatibility.check(MojoInfo.read(bytes, artifact.toString()).h2oVersion(),
                    H2oCompatibility.RUNTIME_H2O_VERSION, name, v.version());
            mojo = Mojo.fromBytes(bytes, artifact.toString());
        } catch (IOException e) {
            throw new ModelRefusedException(name, v.version(), ModelRefusedException.Reason.ARTIFACT_MISMATCH,
                    e.getMessage(), e);
        }
        if (v.metrics().get("reducer") instanceof Map<?, ?> r) { // PCA in front of the model: both verified
            try {
                dev.converge.model.Reducer reducer = dev.converge.model.Reducer.fromRecord(r);
                H2oCompatibility.check(reducer.info().h2oVersion(), H2oCompatibility.RUNTIME_H2O_VERSION, name,
                        v.version());
                mojo = mojo.withReducer(reducer);
            } catch (IOException | RuntimeException e) {
                throw new ModelRefusedException(name, v.version(), ModelRefusedException.Reason.ARTIFACT_MISMATCH,
                        "its reducer (" + r.get("method") + "): " + e.getMessage(), e);
            }
        }
        FeatureSchema schema = SchemaCodec.fromJson(v.featureSchemaJson());
        ModelReference stored = registry.reference(name, v.version()).orElseThrow(() -> new ModelRefusedException(
                name, v.version(), ModelRefusedException.Reason.NO_REFERENCE, "model '" + name + "' v" + v.version()
                + " has no reference predictions to verify against"));
        ReferencePredictions ref = ReferencePredictions.fromStored(stored.rows(), stored.predictions());
        if (ref.isEmpty()) { // nothing to reproduce proves nothing: refused, not passed
            throw new ModelRefusedException(name, v.version(), ModelRefusedException.Reason.NO_REFERENCE, "model '"
                    + name + "' v" + v.version() + " was registered with no reference rows, so it cannot be verified"
                    + " (re-export it with reference predictions)");
        }
        Optional<String> mismatch = Parity.check(mojo, ref);
        if (mismatch.isPresent()) {
            throw new ModelRefusedException(name, v.version(), ModelRefusedException.Reason.PARITY, "model '" + name
                    + "' v" + v.version() + " does not reproduce " + mismatch.get());
        }
        double p90 = ScoringLatency.measure(mojo, ref.rows(), new ScoringLatency.Plan(COST.warmupRows(),
                COST.warmupNanos(), Math.max(COST.samples(), ref.rows().size()), COST.budgetNanos())).p90Micros();
        return new ModelHandle(name, v.version(), v.algorithm(), mojo, schema, p90, p90 <= inlineMaxMicros,
                v.artifactSha256(), ref.rows(), v.metrics().get("threshold") instanceof Number t ? t.doubleValue()
                : null, thresholdWords(v.metrics(), mojo.threshold()))
                .inFeatureSet(v.metrics().get("feature_set") instanceof String set ? set : "")
                .withDerived(v.metrics().get("derived_features") instanceof java.util.List<?> l ? l.stream()
                        .map(m -> dev.converge.contracts.DerivedFeature.fromMap((Map<?, ?>) m)).toList()
                        : java.util.List.of());
    }

    /**
     * What a binomial model's threshold maximises, as recorded with it. Versions exported before the positive class
     * and the threshold's source were checked recorded "h2o: max f1 on the training rows" for H2O's own threshold,
     * which H2O takes from the validation rows whenever the model had them: when the MOJO's threshold is the
     * validation rows' max-F1 threshold to every digit, the answer says so instead of repeating the old words.
     */
    static String thresholdWords(Map<String, Object> metrics, Double mojoThreshold) {
        String recorded = metrics.get("threshold_metric") instanceof String m ? m : null;
        if (mojoThreshold == null || recorded != null && !recorded.startsWith("h2o: max f1 on the training rows")) {
            return recorded;
        }
        if (metrics.get("thresholds_on_validation") instanceof Map<?, ?> onValidation
                && onValidation.get("f1") instanceof Number f1 && f1.doubleValue() == mojoThreshold) {
            return "h2o: max f1 on the validation rows";
        }
        return recorded;
    }

    /** Why there is nothing to serve, and the command that changes it. */
    private String noChampion(String name) {
        java.util.List<ModelVersion> versions;
        try {
            versions = registry.list(name);
        } catch (java.sql.SQLException e) {
            return "model '" + name + "' has no champion in the registry (train and promote one)";
        }
        if (versions.isEmpty()) {
            return "model '" + name + "' has no version in the registry: train one (converge train PIPELINE), and"
                    + " promote it (auto_promote in its export, or converge models promote)";
        }
        ModelVersion last = versions.stream().max(java.util.Comparator.comparingInt(ModelVersion::version))
                .orElseThrow();
        return "model '" + name + "' has " + versions.size() + " registered version" + (versions.size() == 1 ? ""
                : "s") + " (the newest v" + last.version() + ") but no champion: none was promoted (train's last"
                + " line says why); to serve v" + last.version() + ": converge models promote " + name + " "
                + last.version() + " --reason \"...\"";
    }
}
