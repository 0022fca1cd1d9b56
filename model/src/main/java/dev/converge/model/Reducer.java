package dev.converge.model;

import hex.ModelCategory;
import hex.genmodel.MojoModel;
import hex.genmodel.MojoReaderBackendFactory;
import hex.genmodel.easy.EasyPredictModelWrapper;
import hex.genmodel.easy.RowData;
import hex.genmodel.easy.exception.PredictException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.List;
import java.util.Map;

/**
 * A dimensionality reduction MOJO (H2O's PCA or GLRM) in front of a model: it reads its input columns from a row and
 * replaces them with its k outputs, named as the model was trained on them. Training's {@code reduce} block exports
 * it beside the model's MOJO; the registry records both; {@link Mojo#withReducer} chains them, so verification,
 * the cost measurement and every prediction go through both. Thread-safe.
 */
public final class Reducer {
    private final EasyPredictModelWrapper wrapper;
    private final MojoInfo info;
    private final List<String> inputs;
    private final List<String> outputs;

    private Reducer(EasyPredictModelWrapper wrapper, MojoInfo info, List<String> inputs, List<String> outputs) {
        this.wrapper = wrapper;
        this.info = info;
        this.inputs = List.copyOf(inputs);
        this.outputs = List.copyOf(outputs);
    }

    /**
     * Loads a reducer MOJO whose outputs are named {@code outputs} (in the MOJO's order) and whose inputs must be
     * {@code inputs}: a MOJO that is not a dimensionality reduction, or reads other columns, is refused.
     */
    public static Reducer fromBytes(byte[] bytes, String source, List<String> inputs, List<String> outputs)
            throws IOException {
        MojoInfo info = MojoInfo.read(bytes, source);
        MojoModel model = load(bytes);
        if (model.getModelCategory() != ModelCategory.DimReduction) {
            throw new IOException(source + " is a " + model.getModelCategory() + " model, not a dimensionality"
                    + " reduction (PCA or GLRM)");
        }
        List<String> names = List.of(model.getNames()).subList(0, model.nfeatures());
        if (!new java.util.HashSet<>(names).equals(new java.util.HashSet<>(inputs))) {
            throw new IOException(source + " reads the columns " + names + ", not the " + inputs.size()
                    + " recorded with the model " + inputs);
        }
        EasyPredictModelWrapper wrapper = new EasyPredictModelWrapper(new EasyPredictModelWrapper.Config()
                .setModel(model).setConvertUnknownCategoricalLevelsToNa(true));
        Reducer r = new Reducer(wrapper, info, inputs, outputs);
        int k = r.reduce(new RowData()).length;
        if (k != outputs.size()) {
            throw new IOException(source + " gives " + k + " outputs, not the " + outputs.size() + " recorded");
        }
        return r;
    }

    /** The columns a dimensionality reduction MOJO reads, in its order. */
    public static List<String> inputsOf(byte[] bytes) throws IOException {
        MojoModel model = load(bytes);
        return List.of(model.getNames()).subList(0, model.nfeatures());
    }

    /**
     * The reducer a registered version records ({@code metrics.reducer}: artifact uri, sha256 and size, inputs,
     * outputs), read back verified like the model's own artifact: the one way a server or a benchmark loads it.
     */
    public static Reducer fromRecord(Map<?, ?> record) throws IOException {
        java.nio.file.Path path = java.nio.file.Path.of(java.net.URI.create((String) record.get("artifact_uri")));
        byte[] bytes = ArtifactStore.readVerified(path, (String) record.get("artifact_sha256"),
                ((Number) record.get("artifact_size")).longValue());
        @SuppressWarnings("unchecked")
        List<String> inputs = (List<String>) record.get("inputs");
        @SuppressWarnings("unchecked")
        List<String> outputs = (List<String>) record.get("outputs");
        return fromBytes(bytes, path.toString(), inputs, outputs);
    }

    private static MojoModel load(byte[] bytes) throws IOException {
        return MojoModel.load(MojoReaderBackendFactory.createReaderBackend(new ByteArrayInputStream(bytes),
                MojoReaderBackendFactory.CachingStrategy.MEMORY));
    }

    public MojoInfo info() {
        return info;
    }

    public List<String> inputs() {
        return inputs;
    }

    public List<String> outputs() {
        return outputs;
    }

    /** {@code row} with the inputs replaced by the k outputs (a missing input is imputed as the reducer does). */
    RowData apply(Map<String, Object> row) {
        RowData in = new RowData();
        RowData out = new RowData();
        for (Map.Entry<String, Object> e : row.entrySet()) {
            (inputs.contains(e.getKey()) ? in : out).put(e.getKey(), e.getValue());
        }
        double[] dims = reduce(in);
        for (int i = 0; i < dims.length; i++) {
            out.put(outputs.get(i), dims[i]);
        }
        return out;
    }

    /** The k outputs for a row of the inputs (other columns are ignored; a missing input is imputed). */
    public double[] reduce(Map<String, Object> row) {
        RowData in = new RowData();
        for (String name : inputs) {
            Object v = row.get(name);
            if (v != null) {
                in.put(name, v);
            }
        }
        return reduce(in);
    }

    private double[] reduce(RowData in) {
        try {
            return wrapper.predictDimReduction(in).dimensions;
        } catch (PredictException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }
}
