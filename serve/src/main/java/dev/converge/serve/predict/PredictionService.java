package dev.converge.serve.predict;

import io.vertx.core.Future;
import java.util.List;

/**
 * The one prediction path, independent of any transport: REST calls it today; GraphQL, A/B routing, shadow scoring
 * and drift sampling plug into it. Stages, in order: request decoding, feature assembly (online features behind
 * their breaker), contract validation, variant choice, the cache and single flight, scoring. Admission runs before
 * the request is read ({@link Admission}). The futures never fail: every outcome, overload included, is a case of
 * {@link PredictionOutcome} or {@link BatchOutcome}.
 */
public interface PredictionService {
    /** One request: a JSON-like object ({@code Map} or Vert.x {@code JsonObject}) with entity_id and/or features. */
    Future<PredictionOutcome> predict(Object request);

    /** Many rows, their entities fetched in one query. */
    Future<BatchOutcome> predictBatch(List<?> rows);

    /** The admission stage that transports call before reading a request. */
    Admission admission();

    /** Admission control: bounds on concurrent requests, the scoring queue and event-loop lag. */
    interface Admission {
        /**
         * Admits a request or says which bound refused it. {@code loopLagging} is the calling event loop's state.
         * An admitted request must be {@link #release() released} exactly once when it is answered.
         */
        PredictionOutcome.Shed tryAdmit(boolean loopLagging);

        void release();
    }
}
