package dev.converge.serve.model;

import dev.converge.contracts.FeatureEncoding;
import dev.converge.contracts.FeatureSchema;
import dev.converge.contracts.FeatureSpec;
import dev.converge.contracts.FeatureType;
import dev.converge.contracts.FeatureValidator;
import dev.converge.model.Mojo;
import dev.converge.model.Prediction;
import dev.converge.serve.predict.ModelRef;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A loaded, verified model: its MOJO (thread-safe, shared), its input schema and validator, and its measured
 * scoring cost, which decides whether it scores on the event loop or on the worker pool.
 */
public final class ModelHandle {
    private final ModelRef ref;
    private final String algorithm;
    private final Mojo mojo;
    private final FeatureSchema schema;
    /** Whether the schema has a vector feature: then its entities' vectors are fetched with their documents. */
    private final boolean vectors;
    private final FeatureValidator validator;
    private final double p90Micros;
    private final boolean inline;
    private final String artifactSha256;
    private final java.util.List<Map<String, Object>> referenceRows;
    private final Double relabel;
    private String featureSet = "";
    private java.util.List<dev.converge.contracts.DerivedFeature> derived = java.util.List.of();

    public ModelHandle(String name, int version, String algorithm, Mojo mojo, FeatureSchema schema, double p90Micros,
                boolean inline, String artifactSha256, java.util.List<Map<String, Object>> referenceRows) {
        this(name, version, algorithm, mojo, schema, p90Micros, inline, artifactSha256, referenceRows, null, null);
    }

    /**
     * @param threshold a binomial model's threshold recorded in the registry ({@code export.threshold}), which
     *                  decides its labels instead of the MOJO's own; null keeps the MOJO's
     */
    public ModelHandle(String name, int version, String algorithm, Mojo mojo, FeatureSchema schema, double p90Micros,
                boolean inline, String artifactSha256, java.util.List<Map<String, Object>> referenceRows,
                Double threshold, String thresholdMetric) {
        this.referenceRows = java.util.List.copyOf(referenceRows);
        this.relabel = threshold != null && mojo.threshold() != null ? threshold : null;
        this.ref = new ModelRef(name, version, relabel != null ? relabel : mojo.threshold(),
                mojo.threshold() == null ? null : thresholdMetric != null ? thresholdMetric
                        : relabel != null ? "recorded with the model" : "h2o's default (max f1)",
                mojo.threshold() == null ? null : mojo.classes().get(mojo.classes().size() - 1),
                ModelRef.CHAMPION);
        this.algorithm = algorithm;
        this.mojo = mojo;
        this.schema = schema;
        this.vectors = schema.features().stream().anyMatch(f -> f.type() == FeatureType.VECTOR);
        this.validator = FeatureValidator.forScoring(schema);
        this.p90Micros = p90Micros;
        this.inline = inline;
        this.artifactSha256 = artifactSha256;
    }

    public ModelRef ref() {
        return ref;
    }

    public String name() {
        return ref.name();
    }

    public int version() {
        return ref.version();
    }

    /** The rows the model was verified on (genmodel form), for warming the prediction path up. */
    public java.util.List<Map<String, Object>> referenceRows() {
        return referenceRows;
    }

    /** Set once by the loader, before the model is published. */
    ModelHandle inFeatureSet(String set) {
        this.featureSet = set == null ? "" : set;
        return this;
    }

    /** Set once by the loader, before the model is published: the derived features the model was trained with. */
    public ModelHandle withDerived(java.util.List<dev.converge.contracts.DerivedFeature> d) {
        this.derived = java.util.List.copyOf(d);
        return this;
    }

    /**
     * What a request must not send: each of the model's derived features, computed by the server, as a violation
     * that says how it is computed and what to send instead; empty when the request sends none of them.
     */
    public java.util.List<dev.converge.contracts.Violation> derivedSent(Map<String, ?> request) {
        java.util.List<dev.converge.contracts.Violation> out = new java.util.ArrayList<>(0);
        for (dev.converge.contracts.DerivedFeature d : derived) {
            if (request.containsKey(d.name())) {
                boolean time = d.source().equals(dev.converge.contracts.DerivedFeature.EVENT_TIME);
                out.add(new dev.converge.contracts.Violation(d.name(), String.valueOf(request.get(d.name())),
                        "derived_feature", "feature '" + d.name() + "' is derived by the server ("
                        + d.describe() + ", as in training): send " + (time ? "event_time (ISO-8601)"
                        : "'" + d.source() + "'") + " instead, not '" + d.name() + "' itself"));
            }
        }
        return out;
    }

    /** Whether a derived feature of the model reads the event time (a request without one is scored as of now). */
    public boolean readsEventTime() {
        return derived.stream().anyMatch(d -> d.source().equals(dev.converge.contracts.DerivedFeature.EVENT_TIME));
    }

    /**
     * The validated values with the model's derived features added, computed by the same code as in training
     * (date parts from {@code eventTime}, or now when the request gave none).
     */
    public Map<String, Object> withDerived(Map<String, Object> validated, java.time.Instant eventTime) {
        if (derived.isEmpty()) {
            return validated;
        }
        Map<String, Object> out = new LinkedHashMap<>(validated);
        java.time.Instant t = eventTime != null ? eventTime : java.time.Instant.now();
        for (dev.converge.contracts.DerivedFeature d : derived) {
            out.put(d.name(), d.apply(validated, t));
        }
        return out;
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

    /** Whether the model reads a vector feature (stored apart: an entity fetch must join them). */
    public boolean readsVectors() {
        return vectors;
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
            if (spec.type() == FeatureType.VECTOR) { // n numeric inputs, as training made them
                Object vector = validated.get(spec.name());
                if (vector != null) {
                    List<String> columns = FeatureEncoding.columns(spec);
                    for (int i = 0; i < columns.size(); i++) {
                        row.put(columns.get(i), FeatureEncoding.component(vector, i));
                    }
                }
                continue;
            }
            Object v = FeatureEncoding.encode(spec.type(), validated.get(spec.name()));
            if (v != null && !(v instanceof Double d && d.isNaN())) {
                row.put(spec.name(), v);
            }
        }
        for (dev.converge.contracts.DerivedFeature d : derived) { // already a level (String) or a Double
            Object v = validated.get(d.name());
            if (v != null) {
                row.put(d.name(), v);
            }
        }
        return row;
    }

    /** The feature set whose entities the model reads ("" for none). */
    public String featureSet() {
        return featureSet;
    }

    /** The stored key of a requested entity id: within the model's feature set. */
    public String entityKey(String entityId) {
        return dev.converge.contracts.EntityId.key(featureSet, entityId);
    }

    /** The column the model predicts (a request may carry it; it is ignored with a warning). */
    /** A classifier's classes, in the order of its probabilities; empty for a regression. */
    public java.util.List<String> classes() {
        return mojo.classes();
    }

    public String label() {
        return mojo.responseName();
    }

    /**
     * Validated values whose categorical level the model never saw in training (feature to level), checked on the
     * row as encoded for the model.
     */
    public Map<String, String> unseenLevels(Map<String, Object> validated) {
        Map<String, String> out = null;
        for (FeatureSpec spec : schema.features()) {
            if (spec.type() != FeatureType.CATEGORICAL && spec.type() != FeatureType.BOOLEAN) {
                continue;
            }
            Object v = validated.get(spec.name());
            if (v != null) {
                String level = (String) FeatureEncoding.encode(spec.type(), v);
                if (!mojo.knowsLevel(spec.name(), level)) {
                    if (out == null) {
                        out = new LinkedHashMap<>();
                    }
                    out.put(spec.name(), level);
                }
            }
        }
        return out == null ? Map.of() : out;
    }

    public Prediction score(Map<String, Object> encodedRow) {
        Prediction p = mojo.score(encodedRow);
        if (relabel == null) {
            return p;
        }
        // The registered threshold decides: the positive class (the last) when its probability reaches it.
        java.util.List<String> classes = new java.util.ArrayList<>(p.probabilities().keySet());
        String positive = classes.get(classes.size() - 1);
        return new Prediction(p.probabilities().get(positive) >= relabel ? positive : classes.get(0),
                p.probabilities());
    }
}
