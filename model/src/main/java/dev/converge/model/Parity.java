package dev.converge.model;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Whether a MOJO scored with h2o-genmodel reproduces reference outputs: H2O's in-cluster predictions at export,
 * the stored reference predictions at load. One tolerance for both, so training and serving agree on what
 * "the same model" means.
 */
public final class Parity {
    /** Largest absolute difference allowed per output (class probability or regression value). */
    public static final double TOLERANCE = 1e-9;

    private Parity() {}

    /** The first output of {@code row} that differs by more than the tolerance, described; empty when none. */
    public static Optional<String> mismatch(int row, double[] expected, double[] actual) {
        for (int k = 0; k < expected.length; k++) {
            if (k >= actual.length || !(Math.abs(expected[k] - actual[k]) <= TOLERANCE)) {
                return Optional.of("reference row " + row + ", output " + k + ": expected " + expected[k] + ", got "
                        + (k < actual.length ? Double.toString(actual[k]) : "nothing") + " (tolerance " + TOLERANCE
                        + ")");
            }
        }
        return Optional.empty();
    }

    /** The first reference row {@code mojo} does not reproduce, described; empty when it reproduces them all. */
    public static Optional<String> check(Mojo mojo, ReferencePredictions reference) {
        List<Map<String, Object>> rows = reference.rows();
        for (int i = 0; i < rows.size(); i++) {
            Optional<String> m = mismatch(i, reference.outputs().get(i), mojo.raw(rows.get(i)));
            if (m.isPresent()) {
                return m;
            }
        }
        return Optional.empty();
    }
}
