package dev.converge.serve.predict;

import dev.converge.contracts.Violation;
import dev.converge.model.Prediction;
import java.util.List;

/**
 * What became of one prediction request. Transports map each case to their own form (REST: 200, 200 marked
 * degraded, 422, 400, 503), and nothing else can happen: a dependency failure is {@link Degraded}, never an error.
 */
public sealed interface PredictionOutcome {
    /**
     * Scored by {@code model}; {@code cached} when the answer came from the cache; {@code warnings} name what was
     * read other than as sent (a label column ignored, a level the model never saw scored as missing, an entity
     * with no stored features scored from the request's). {@code predictionId} names it in the answer, the
     * prediction log and feedback.
     */
    public record Scored(ModelRef model, Prediction prediction, boolean cached, List<Violation> warnings,
                  String predictionId) implements PredictionOutcome {
        public Scored {
            warnings = List.copyOf(warnings);
        }

        public Scored(ModelRef model, Prediction prediction, boolean cached) {
            this(model, prediction, cached, List.of(), PredictionIds.next());
        }
    }

    /**
     * Answered despite failed dependencies, saying how: scored from the request's features, computed without the
     * cache, or the configured default ({@code prediction.value()} may then be null).
     */
    record Degraded(ModelRef model, Prediction prediction, boolean cached, List<Degradation> degradations,
                    List<Violation> warnings, String predictionId) implements PredictionOutcome {
        public Degraded {
            degradations = List.copyOf(degradations);
            warnings = List.copyOf(warnings);
        }

        public Degraded(ModelRef model, Prediction prediction, boolean cached, List<Degradation> degradations) {
            this(model, prediction, cached, degradations, List.of(), PredictionIds.next());
        }

        /** The reasons as one sentence for people. */
        public String reason() {
            return String.join("; ", degradations.stream().map(Degradation::detail).toList());
        }
    }

    /** The features break the model's contract; {@code entityFound} tells whether the entity had stored features. */
    record Invalid(ModelRef model, List<Violation> violations, String entityId, boolean entityFound)
            implements PredictionOutcome {}

    /**
     * The request named an entity with no stored features and sent none of its own: nothing to score (REST: 404
     * naming the entity, not one "missing" per feature).
     */
    record UnknownEntity(ModelRef model, String entityId, String featureSet) implements PredictionOutcome {}

    /** The request itself does not have the expected shape. */
    record Malformed(List<Violation> violations) implements PredictionOutcome {}

    /** Refused for overload before any work, or dropped unrun; {@code detail} names the bound and its value. */
    record Shed(ShedReason reason, String detail) implements PredictionOutcome {}

    /** No verified model is loaded yet. */
    record NotReady(String reason) implements PredictionOutcome {}
}
