package dev.converge.serve.impl;

import dev.converge.contracts.FeatureSchema;
import dev.converge.store.Database;
import dev.converge.store.SchemaCodec;
import dev.converge.store.artifacts.ArtifactStore;
import dev.converge.store.artifacts.MojoInfo;
import dev.converge.store.registry.ModelReference;
import dev.converge.store.registry.ModelRegistry;
import dev.converge.store.registry.ModelVersion;
import hex.genmodel.MojoModel;
import hex.genmodel.easy.EasyPredictModelWrapper;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * Loads a registered model and refuses it unless it proves itself: the artifact matches its registered sha256 and
 * size, its {@code model.ini} was written by an H2O no newer than this server's h2o-genmodel, and it reproduces the
 * reference predictions stored at training time. Then it measures the per-row scoring cost on those rows. Blocking:
 * runs on a worker thread, never on an event loop.
 */
public final class ModelLoader {
    /** A model that failed verification; the message names what did not match. */
    public static final class RefusedModel extends Exception {
        public RefusedModel(String message) {
            super(message);
        }
    }

    public static final double PARITY_TOLERANCE = 1e-9;
    public static final String RUNTIME_H2O_VERSION = runtimeVersion();

    private final Database db;
    private final double inlineMaxMicros;

    public ModelLoader(Database db, double inlineMaxMicros) {
        this.db = db;
        this.inlineMaxMicros = inlineMaxMicros;
    }

    /** The champion of {@code name}, or the given version. */
    public ModelHandle load(String name, Integer version) throws Exception {
        ModelRegistry registry = new ModelRegistry(db);
        ModelVersion v = (version == null ? registry.champion(name) : registry.show(name, version))
                .orElseThrow(() -> new RefusedModel(version == null ? "model '" + name + "' has no champion in the"
                        + " registry (train and promote one)" : "model '" + name + "' has no version " + version));
        Path artifact = Path.of(URI.create(v.artifactUri()));
        ArtifactStore.verify(artifact, v.artifactSha256(), v.artifactSize());
        MojoInfo info = MojoInfo.read(artifact);
        checkCompatible(info.h2oVersion(), RUNTIME_H2O_VERSION, name, v.version());
        EasyPredictModelWrapper wrapper = new EasyPredictModelWrapper(new EasyPredictModelWrapper.Config()
                .setModel(MojoModel.load(artifact.toString())).setConvertUnknownCategoricalLevelsToNa(true));
        FeatureSchema schema = SchemaCodec.fromJson(v.featureSchemaJson());
        ModelReference ref = registry.reference(name, v.version()).orElseThrow(() -> new RefusedModel("model '" + name
                + "' v" + v.version() + " has no reference predictions to verify against"));
        ModelHandle probe = new ModelHandle(name, v.version(), v.algorithm(), wrapper, schema, 0, false,
                v.artifactSha256());
        reproduce(probe, ref);
        double p90 = measure(probe, ref.rows());
        return new ModelHandle(name, v.version(), v.algorithm(), wrapper, schema, p90, p90 <= inlineMaxMicros,
                v.artifactSha256());
    }

    /** A MOJO is readable by a genmodel of the same or a later H2O version. */
    public static void checkCompatible(String mojoVersion, String runtimeVersion, String name, int version)
            throws RefusedModel {
        if (compare(mojoVersion, runtimeVersion) > 0) {
            throw new RefusedModel("model '" + name + "' v" + version + " was written by H2O " + mojoVersion
                    + ", newer than this server's h2o-genmodel " + runtimeVersion + "; upgrade the server first");
        }
    }

    static int compare(String a, String b) {
        int[] x = Arrays.stream(a.split("\\.")).mapToInt(ModelLoader::num).toArray();
        int[] y = Arrays.stream(b.split("\\.")).mapToInt(ModelLoader::num).toArray();
        for (int i = 0; i < Math.max(x.length, y.length); i++) {
            int c = Integer.compare(i < x.length ? x[i] : 0, i < y.length ? y[i] : 0);
            if (c != 0) {
                return c;
            }
        }
        return 0;
    }

    private static int num(String s) {
        try {
            return Integer.parseInt(s.replaceAll("[^0-9].*$", ""));
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    @SuppressWarnings("unchecked")
    private static void reproduce(ModelHandle model, ModelReference ref) throws RefusedModel {
        for (int i = 0; i < ref.rows().size(); i++) {
            double[] now = model.raw(ref.rows().get(i));
            List<Number> expected = (List<Number>) ref.predictions().get(i).get("values");
            for (int k = 0; k < expected.size(); k++) {
                double e = expected.get(k).doubleValue();
                if (k >= now.length || Math.abs(now[k] - e) > PARITY_TOLERANCE) {
                    throw new RefusedModel("model '" + model.name() + "' v" + model.version()
                            + " does not reproduce reference row " + i + ", output " + k + ": expected " + e + ", got "
                            + (k < now.length ? now[k] : "nothing"));
                }
            }
        }
    }

    /**
     * p90 per-row scoring time in microseconds over the reference rows, one thread, after a warm-up of at least
     * 20,000 rows and 300 ms so the JIT has compiled the scoring path (a cold measurement is 10x too high). p90,
     * not p99: on a shared machine the last percent is the scheduler's, not the model's.
     */
    static double measure(ModelHandle model, List<Map<String, Object>> rows) {
        if (rows.isEmpty()) {
            return Double.MAX_VALUE;
        }
        long warmEnd = System.nanoTime() + 300_000_000L;
        for (int n = 0; n < 20_000 || System.nanoTime() < warmEnd; n++) {
            model.raw(rows.get(n % rows.size()));
            if (n > 2_000_000) {
                break;
            }
        }
        int samples = Math.max(5_000, rows.size());
        long[] nanos = new long[samples];
        for (int i = 0; i < samples; i++) {
            long t0 = System.nanoTime();
            model.raw(rows.get(i % rows.size()));
            nanos[i] = System.nanoTime() - t0;
        }
        Arrays.sort(nanos);
        return nanos[(int) (samples * 0.90)] / 1000.0;
    }

    private static String runtimeVersion() {
        Properties p = new Properties();
        try (InputStream in = ModelLoader.class.getResourceAsStream("/converge-serve.properties")) {
            p.load(in);
        } catch (IOException | NullPointerException e) {
            throw new IllegalStateException("converge-serve.properties is missing from the serve jar", e);
        }
        return p.getProperty("h2o.version");
    }
}
