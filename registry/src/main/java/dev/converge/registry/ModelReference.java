package dev.converge.registry;

import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * What serving and drift detection need beside the artifact: reference rows with the predictions they must
 * reproduce, per-feature baseline histograms of the training data, and the scoring latency the gate measured.
 */
public record ModelReference(UUID sweepId, List<Map<String, Object>> rows, List<Map<String, Object>> predictions,
                             Map<String, Object> baselines, Map<String, Object> scoringLatency) {
    public ModelReference {
        if (rows.size() != predictions.size()) {
            throw new IllegalArgumentException("reference rows (" + rows.size() + ") and predictions ("
                    + predictions.size() + ") must pair up");
        }
    }
}
