package dev.converge.registry;

import java.time.Instant;
import java.util.Map;

/**
 * One immutable registered model version: everything needed to load, verify and explain it.
 *
 * @param featureSchemaJson the feature schema, as JSON ({@link dev.converge.registry.codec.SchemaCodec})
 * @param metrics           metric name to value, e.g. {@code auc}, {@code logloss}, {@code rmse}
 */
public record ModelVersion(String name, int version, String algorithm, String artifactUri, String artifactSha256,
                           long artifactSize, String h2oVersion, String mojoVersion, String gitCommit,
                           String featureSchemaJson, String schemaFingerprint, Instant trainingWindowStart,
                           Instant trainingWindowEnd, Map<String, Object> metrics, Instant createdAt) {}
