package dev.converge.serve.scoring;

import dev.converge.model.Prediction;
import dev.converge.serve.model.ModelHandle;
import dev.converge.serve.predict.Degradation;
import dev.converge.serve.predict.OverloadedException;
import io.vertx.core.Future;
import java.util.Map;

/**
 * Scores a validated row on a model. Implementations: {@link DirectScorer} (inline or on the worker pool) and
 * {@link CachingScorer}, a decorator in front of it. A future that fails with
 * {@link dev.converge.serve.predict.OverloadedException} means the scoring was dropped unrun.
 */
public interface Scorer {
    /**
     * A prediction, whether it came from the cache, what went wrong with the cache (null when nothing), and the
     * time it waited for a scoring worker and was scored (0 when it was not: a cache hit).
     */
    public record Scored(Prediction prediction, boolean cached, Degradation cacheProblem, long queueNanos,
                  long scoringNanos) {
        public Scored(Prediction prediction, boolean cached, Degradation cacheProblem) {
            this(prediction, cached, cacheProblem, 0, 0);
        }

        public Scored withCacheProblem(Degradation problem) {
            return new Scored(prediction, false, problem, queueNanos, scoringNanos);
        }
    }

    /**
     * @param validated the row's values as validation returned them (not yet encoded for genmodel)
     * @param droppable whether a scoring that waited past the deadline may be dropped (single requests; a batch's
     *                  rows queue behind one another by design and are never dropped)
     */
    Future<Scored> score(ModelHandle model, Map<String, Object> validated, boolean droppable);

    /**
     * Why scoring {@code rows} more rows on {@code model} now would be refused for overload, or null when it would
     * not be (a batch asks once, before its rows are scored; a single request is checked when it is scored).
     */
    OverloadedException refusal(ModelHandle model, int rows);
}
