package dev.converge.serve.predict;

import dev.converge.contracts.Violation;
import dev.converge.model.Prediction;
import java.util.List;

/**
 * What became of one prediction request. Transports map each case to their own form (REST: 200, 200 marked
 * degraded, 422, 400, 503), and nothing else can happen: a dependency failure is {@link Degraded}, never an error.
 */
public sealed interface PredictionOutcome {
    /** Scored by {@code model}; {@code cached} when the answer came from the cache. */
    record Scored(ModelRef model, Prediction prediction, boolean cached) implements PredictionOutcome {}

    /**
     * Answered despite failed dependencies, saying how: scored from the request's features, computed without the
     * cache, or the configured default ({@code prediction.value()} may then be null).
     */
    record Degraded(ModelRef model, Prediction prediction, boolean cached, List<Degradation> degradations)
            implements PredictionOutcome {
        public Degraded {
            degradations = List.copyOf(degradations);
        }

        /** The reasons as one sentence for people. */
        public String reason() {
            return String.join("; ", degradations.stream().map(Degradation::detail).toList());
        }
    }

    /** The features break the model's contract; {@code entityFound} tells whether the entity had stored features. */
    record Invalid(ModelRef model, List<Violation> violations, String entityId, boolean entityFound)
            implements PredictionOutcome {}

    /** The request itself does not have the expected shape. */
    record Malformed(List<Violation> violations) implements PredictionOutcome {}

    /** Refused for overload before any work, or dropped unrun; {@code detail} names the bound and its value. */
    record Shed(ShedReason reason, String detail) implements PredictionOutcome {}

    /** No verified model is loaded yet. */
    record NotReady(String reason) implements PredictionOutcome {}
}
