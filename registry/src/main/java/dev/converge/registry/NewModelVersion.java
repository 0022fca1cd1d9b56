package dev.converge.registry;

import dev.converge.contracts.FeatureSchema;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/** What a training run registers; the registry assigns the version number. Validates itself. */
public record NewModelVersion(String name, String algorithm, String artifactUri, String artifactSha256,
                              long artifactSize, String h2oVersion, String mojoVersion, String gitCommit,
                              FeatureSchema featureSchema, Instant trainingWindowStart, Instant trainingWindowEnd,
                              Map<String, Object> metrics) {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,127}");
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

    public NewModelVersion {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("model name must match " + NAME + ", was '" + name + "'");
        }
        if (artifactSha256 == null || !SHA256.matcher(artifactSha256).matches()) {
            throw new IllegalArgumentException("artifact sha256 must be 64 lowercase hex digits, was '"
                    + artifactSha256 + "'");
        }
        if (artifactSize <= 0) {
            throw new IllegalArgumentException("artifact size must be positive, was " + artifactSize);
        }
        Objects.requireNonNull(algorithm, "algorithm");
        Objects.requireNonNull(artifactUri, "artifactUri");
        Objects.requireNonNull(h2oVersion, "h2oVersion");
        Objects.requireNonNull(mojoVersion, "mojoVersion");
        Objects.requireNonNull(gitCommit, "gitCommit");
        Objects.requireNonNull(featureSchema, "featureSchema");
        if (trainingWindowStart != null && trainingWindowEnd != null && trainingWindowStart.isAfter(trainingWindowEnd)) {
            throw new IllegalArgumentException("training window start " + trainingWindowStart + " is after its end "
                    + trainingWindowEnd);
        }
        metrics = metrics == null ? Map.of() : Map.copyOf(metrics);
    }
}
