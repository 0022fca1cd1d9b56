package dev.converge.model;

import hex.genmodel.MojoModel;
import hex.genmodel.MojoReaderBackendFactory;
import hex.genmodel.easy.EasyPredictModelWrapper;
import hex.genmodel.easy.RowData;
import hex.genmodel.easy.exception.PredictException;
import hex.genmodel.easy.prediction.AbstractPrediction;
import hex.genmodel.easy.prediction.BinomialModelPrediction;
import hex.genmodel.easy.prediction.MultinomialModelPrediction;
import hex.genmodel.easy.prediction.RegressionModelPrediction;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A MOJO loaded with h2o-genmodel alone, and the one way converge scores it: the wrapper configured once
 * (unknown categorical levels scored as missing, as H2O does in-cluster), binomial, multinomial and regression
 * models, rows given as genmodel row maps (feature name to a Double or a level string). Thread-safe.
 */
public final class Mojo {
    private final EasyPredictModelWrapper wrapper;
    private final MojoInfo info;
    private final String[] domain;
    private final Double threshold;
    private final String responseName;
    private final Map<String, java.util.Set<String>> levels = new java.util.HashMap<>();
    private final Reducer reducer;

    private Mojo(Mojo m, Reducer reducer) {
        this.wrapper = m.wrapper;
        this.info = m.info;
        this.domain = m.domain;
        this.threshold = m.threshold;
        this.responseName = m.responseName;
        this.levels.putAll(m.levels);
        this.reducer = reducer;
    }

    /**
     * This model behind a reducer (PCA or GLRM): every row is reduced first, the reducer's inputs replaced by its
     * outputs, then scored, so nothing that scores through this object can skip the reduction.
     */
    public Mojo withReducer(Reducer r) {
        return new Mojo(this, java.util.Objects.requireNonNull(r, "reducer"));
    }

    /** The reducer in front of the model, or null. */
    public Reducer reducer() {
        return reducer;
    }

    private Mojo(MojoModel model, MojoInfo info) {
        this.reducer = null;
        this.wrapper = new EasyPredictModelWrapper(new EasyPredictModelWrapper.Config().setModel(model)
                .setConvertUnknownCategoricalLevelsToNa(true));
        this.info = info;
        this.domain = wrapper.getModelCategory() == hex.ModelCategory.Regression ? null
                : wrapper.getResponseDomainValues();
        this.threshold = wrapper.getModelCategory() == hex.ModelCategory.Binomial ? model._defaultThreshold : null;
        this.responseName = model.getResponseName();
        String[] names = model.getNames();
        for (int i = 0; i < names.length; i++) {
            if (names[i].equals(responseName)) {
                continue;
            }
            String[] d = model.getDomainValues(i);
            if (d != null) {
                levels.put(names[i], java.util.Set.of(d));
            }
        }
        switch (wrapper.getModelCategory()) {
            case Binomial, Multinomial, Regression -> { }
            default -> throw new IllegalArgumentException("unsupported model category " + wrapper.getModelCategory()
                    + " (" + info.algorithm() + "); converge scores binomial, multinomial and regression models");
        }
    }

    /** Loads a MOJO file (training's own export, before it is registered). */
    public static Mojo load(Path file) throws IOException {
        return fromBytes(Files.readAllBytes(file), file.toString());
    }

    /** Loads a MOJO from bytes already checked against their registration ({@link ArtifactStore#readVerified}). */
    public static Mojo fromBytes(byte[] bytes, String source) throws IOException {
        MojoInfo info = MojoInfo.read(bytes, source);
        MojoModel model = MojoModel.load(MojoReaderBackendFactory.createReaderBackend(new ByteArrayInputStream(bytes),
                MojoReaderBackendFactory.CachingStrategy.MEMORY));
        return new Mojo(model, info);
    }

    public MojoInfo info() {
        return info;
    }

    /**
     * A binomial model's threshold on the positive class's probability (the last class): the label is that class
     * when its probability is at least this. H2O sets it to the threshold that maximised F1 on the training data.
     * Null for other models.
     */
    public Double threshold() {
        return threshold;
    }

    /** A classifier's classes, in the order of its probabilities; empty for a regression. */
    public java.util.List<String> classes() {
        return domain == null ? java.util.List.of() : java.util.List.of(domain);
    }

    /** The name of the column the model predicts (its label). */
    public String responseName() {
        return responseName;
    }

    /**
     * The categorical inputs of {@code row} whose level the model never saw in training, by feature: genmodel scores
     * them as missing, so they must be reported.
     */
    /** Whether {@code level} is one the model saw for categorical input {@code feature} (true for other inputs). */
    public boolean knowsLevel(String feature, String level) {
        java.util.Set<String> known = levels.get(feature);
        return known == null || known.contains(level);
    }

    public Map<String, String> unseenLevels(Map<String, Object> row) {
        Map<String, String> out = null;
        for (Map.Entry<String, Object> e : row.entrySet()) {
            java.util.Set<String> known = levels.get(e.getKey());
            if (known != null && e.getValue() instanceof String v && !known.contains(v)) {
                if (out == null) {
                    out = new LinkedHashMap<>();
                }
                out.put(e.getKey(), v);
            }
        }
        return out == null ? Map.of() : out;
    }

    /** Scores one row: the label and class probabilities (in the model's class order), or the value. */
    public Prediction score(Map<String, Object> row) {
        AbstractPrediction p = predict(row);
        if (p instanceof BinomialModelPrediction b) {
            return new Prediction(b.label, probabilities(b.classProbabilities));
        }
        if (p instanceof MultinomialModelPrediction m) {
            return new Prediction(m.label, probabilities(m.classProbabilities));
        }
        return new Prediction(((RegressionModelPrediction) p).value, null);
    }

    /** The raw outputs of one row, as reference predictions store them: class probabilities, or the value. */
    public double[] raw(Map<String, Object> row) {
        return raw(prepared(row));
    }

    /** A row converted once to genmodel's form, for scoring it many times (benchmarks' lower bound). */
    public static final class Row {
        private final RowData data = new RowData();

        private Row(Map<String, Object> values) {
            data.putAll(values);
        }
    }

    /** A row prepared for this model: reduced first when it has a reducer (so no caller can skip it). */
    public Row prepared(Map<String, Object> values) {
        return reducer == null ? new Row(values) : new Row(reducer.apply(values));
    }

    /** {@link #raw(Map)} of a prepared row. */
    public double[] raw(Row row) {
        AbstractPrediction p = predict(row.data);
        if (p instanceof BinomialModelPrediction b) {
            return b.classProbabilities;
        }
        if (p instanceof MultinomialModelPrediction m) {
            return m.classProbabilities;
        }
        return new double[] {((RegressionModelPrediction) p).value};
    }

    private AbstractPrediction predict(Map<String, Object> values) {
        if (reducer != null) {
            return predict(reducer.apply(values));
        }
        RowData row = new RowData();
        row.putAll(values);
        return predict(row);
    }

    private AbstractPrediction predict(RowData row) {
        try {
            return switch (wrapper.getModelCategory()) {
                case Binomial -> wrapper.predictBinomial(row);
                case Multinomial -> wrapper.predictMultinomial(row);
                default -> wrapper.predictRegression(row);
            };
        } catch (PredictException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    private Map<String, Double> probabilities(double[] ps) {
        Map<String, Double> out = new LinkedHashMap<>();
        for (int i = 0; i < ps.length; i++) {
            out.put(domain[i], ps[i]);
        }
        return out;
    }
}
