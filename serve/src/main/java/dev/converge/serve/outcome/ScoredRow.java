package dev.converge.serve.outcome;

import dev.converge.contracts.Violation;
import dev.converge.model.Prediction;
import dev.converge.serve.model.ModelHandle;
import dev.converge.serve.predict.ModelRef;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * One scored row as the path answers it, for the {@link OutcomeListener}s.
 *
 * @param model        the version that scored it
 * @param ref          the model as answered, with its variant (champion, challenger, pinned)
 * @param predictionId the id the answer carries
 * @param entityId     the entity asked for (null: features only)
 * @param stored       the entity's stored features as fetched (empty when none)
 * @param request      the request's own features
 * @param eventTime    the request's event time (null: now)
 * @param values       the validated, derived values that were scored
 * @param prediction   the model's answer
 * @param cached       whether it came from the cache
 * @param degraded     whether the answer is marked degraded
 * @param warnings     what the answer says was dropped, defaulted or read as missing
 * @param single       a single request's row (false: a batch's, whose time is the batch's)
 * @param timing       when each stage began and what scoring waited and took
 * @param logged       set by the prediction log when it took the row (a shadow mirrors only those)
 */
public record ScoredRow(ModelHandle model, ModelRef ref, String predictionId, String entityId,
                        Map<String, Object> stored, Map<String, Object> request, Instant eventTime,
                        Map<String, Object> values, Prediction prediction, boolean cached, boolean degraded,
                        List<Violation> warnings, boolean single, Timing timing, Logged logged) {
    /**
     * The row's times, in {@link System#nanoTime()} units: the request's start, the end of the feature fetch, the
     * scoring's start and end as the path saw them, and the scorer's own queue wait and scoring time.
     */
    public record Timing(long start, long fetched, long scoreStart, long end, long queueNanos, long scoringNanos) {
        public long totalNanos() {
            return end - start;
        }

        public long fetchNanos() {
            return fetched - start;
        }

        /** Time between the fetch and the answer that was neither queueing nor scoring (cache, validation). */
        public long restNanos() {
            return Math.max(0, end - scoreStart - queueNanos - scoringNanos);
        }
    }

    /** Whether the prediction log took the row: written by the log's listener, read by the ones after it. */
    public static final class Logged {
        private boolean logged;

        public void set(boolean taken) {
            logged = taken;
        }

        public boolean get() {
            return logged;
        }
    }
}
