package dev.converge.serve.outcome;

import dev.converge.serve.model.ModelHandle;
import dev.converge.serve.predict.ModelRef;

/**
 * What observes the prediction path's outcomes without being one of its steps: the prediction log, shadow mirroring,
 * the variants' running figures, latency attribution. A capability registers one with the path
 * ({@code PredictionPath.listen}); the path calls every listener, in the order registered, for every row it scored
 * (a single request's or a batch's) and for every scoring that failed. Listeners run on the thread that completed
 * the scoring, usually an event loop, before the answer is written: they must not block, and what they do costs
 * every request (hand slow work to a queue of your own, as the log and the shadow scorer do).
 */
public interface OutcomeListener {
    /** A row was scored (answered as scored or degraded). */
    void scored(ScoredRow row);

    /**
     * A row was answered with the server's default, not scored: a dependency failed and the request's own features
     * were not enough ({@code row.prediction()} is the default, {@code row.values()} the request's features).
     */
    default void answeredByDefault(ScoredRow row, String reason) {
    }

    /** Scoring a row failed in the model (not a refusal for overload, which is not the model's failure). */
    default void failed(ModelHandle model, ModelRef ref, Throwable cause) {
    }
}
