package dev.converge.serve.impl;

import dev.converge.contracts.FeatureEncoding;
import dev.converge.contracts.FeatureSchema;
import dev.converge.contracts.FeatureSpec;
import dev.converge.contracts.FeatureType;
import dev.converge.contracts.FeatureValidator;
import dev.converge.contracts.UnknownFeaturePolicy;
import hex.genmodel.easy.EasyPredictModelWrapper;
import hex.genmodel.easy.RowData;
import hex.genmodel.easy.exception.PredictException;
import hex.genmodel.easy.prediction.AbstractPrediction;
import hex.genmodel.easy.prediction.BinomialModelPrediction;
import hex.genmodel.easy.prediction.MultinomialModelPrediction;
import hex.genmodel.easy.prediction.RegressionModelPrediction;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A loaded, verified model: the genmodel wrapper (thread-safe, shared), its input schema and validator, and its
 * measured scoring cost, which decides whether it scores on the event loop or on the worker pool.
 */
public final class ModelHandle {
    /** One prediction: the label or value, and class probabilities for classifiers. */
    public record Prediction(Object value, Map<String, Double> probabilities) {}

    private final String name;
    private final int version;
    private final String algorithm;
    private final EasyPredictModelWrapper model;
    private final FeatureSchema schema;
    private final FeatureValidator validator;
    private final double p90Micros;
    private final boolean inline;
    private final String artifactSha256;

    ModelHandle(String name, int version, String algorithm, EasyPredictModelWrapper model, FeatureSchema schema,
                double p90Micros, boolean inline, String artifactSha256) {
        this.artifactSha256 = artifactSha256;
        this.name = name;
        this.version = version;
        this.algorithm = algorithm;
        this.model = model;
        this.schema = schema;
        this.validator = new FeatureValidator(schema, UnknownFeaturePolicy.REJECT);
        this.p90Micros = p90Micros;
        this.inline = inline;
    }

    public String name() {
        return name;
    }

    public int version() {
        return version;
    }

    public String artifactSha256() {
        return artifactSha256;
    }

    public String algorithm() {
        return algorithm;
    }

    public FeatureSchema schema() {
        return schema;
    }

    public FeatureValidator validator() {
        return validator;
    }

    public double p90Micros() {
        return p90Micros;
    }

    /** Whether scoring runs on the event loop (cheap models) or on the scoring worker pool. */
    public boolean inline() {
        return inline;
    }

    /** Validated feature values to a genmodel row, with the encoding training used ({@link FeatureEncoding}). */
    public Map<String, Object> encode(Map<String, Object> validated) {
        Map<String, Object> row = new LinkedHashMap<>();
        for (FeatureSpec spec : schema.features()) {
            if (spec.type() == FeatureType.TEXT) {
                continue;
            }
            Object v = FeatureEncoding.encode(spec.type(), validated.get(spec.name()));
            if (v != null && !(v instanceof Double d && d.isNaN())) {
                row.put(spec.name(), v);
            }
        }
        return row;
    }

    public Prediction score(Map<String, Object> encodedRow) {
        RowData row = new RowData();
        row.putAll(encodedRow);
        try {
            AbstractPrediction p = switch (model.getModelCategory()) {
                case Binomial -> model.predictBinomial(row);
                case Multinomial -> model.predictMultinomial(row);
                case Regression -> model.predictRegression(row);
                default -> throw new IllegalStateException("unsupported model category " + model.getModelCategory());
            };
            if (p instanceof BinomialModelPrediction b) {
                return new Prediction(b.label, probabilities(b.classProbabilities));
            }
            if (p instanceof MultinomialModelPrediction m) {
                return new Prediction(m.label, probabilities(m.classProbabilities));
            }
            return new Prediction(((RegressionModelPrediction) p).value, null);
        } catch (PredictException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    /** Raw outputs (class probabilities or the value), as the reference predictions store them. */
    double[] raw(Map<String, Object> encodedRow) {
        Prediction p = score(encodedRow);
        if (p.probabilities() == null) {
            return new double[] {((Number) p.value()).doubleValue()};
        }
        return p.probabilities().values().stream().mapToDouble(Double::doubleValue).toArray();
    }

    private Map<String, Double> probabilities(double[] ps) {
        String[] domain = model.getResponseDomainValues();
        Map<String, Double> out = new LinkedHashMap<>();
        for (int i = 0; i < ps.length; i++) {
            out.put(domain[i], ps[i]);
        }
        return out;
    }
}
