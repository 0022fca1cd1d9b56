package dev.converge.serve.scoring;

import dev.converge.model.Prediction;
import dev.converge.serve.model.ModelHandle;
import dev.converge.serve.predict.OverloadedException;
import dev.converge.serve.predict.ShedReason;
import dev.converge.serve.resilience.QueueDelay;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.Future;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Scoring itself: on the event loop for models cheap enough to score inline, else on the {@code converge-scoring}
 * workers ({@link ScoringPool}) behind the {@link QueueDelay} accounting (a droppable scoring that waited past the deadline is not
 * run). Times each scoring by mode.
 */
public final class DirectScorer implements Scorer {
    private final ScoringPool workers;
    private final QueueDelay queue;
    private final Timer inlineTimer;
    private final Timer workerTimer;
    private final int maxQueued;
    private final dev.converge.serve.scoring.ScoringFaults faults;

    public DirectScorer(ScoringPool workers, QueueDelay queue, int maxQueued, dev.converge.serve.scoring.ScoringFaults faults,
                 MeterRegistry metrics) {
        this.faults = faults;
        this.workers = workers;
        this.queue = queue;
        this.maxQueued = maxQueued;
        this.inlineTimer = Timer.builder("converge.scoring").tag("mode", "inline").publishPercentileHistogram()
                .register(metrics);
        this.workerTimer = Timer.builder("converge.scoring").tag("mode", "worker").publishPercentileHistogram()
                .register(metrics);
        metrics.gauge("converge.scoring.queue", queue, QueueDelay::queued);
        metrics.gauge("converge.scoring.expected_wait", queue, q -> q.expectedWaitNanos() / 1e9);
        FunctionCounter.builder("converge.scoring.expired", queue, QueueDelay::expired)
                .description("scorings dropped unrun: they waited past serve.queue_deadline_ms").register(metrics);
    }

    @Override
    public Future<Scored> score(ModelHandle model, Map<String, Object> validated, boolean droppable) {
        if (droppable) {
            OverloadedException refused = refusal(model, 1);
            if (refused != null) {
                return Future.failedFuture(refused);
            }
        }
        return compute(model, model.encode(validated), droppable);
    }

    /**
     * Inline models are never refused here (their queue is the event loop's, watched by the lag rule). Worker
     * scorings are refused beyond serve.max_scoring_queue, or when the queue is standing with an expected wait
     * over serve.max_queue_ms.
     */
    @Override
    public OverloadedException refusal(ModelHandle model, int rows) {
        if (model.inline()) {
            return null;
        }
        int queued = queue.queued();
        if (queued + rows > maxQueued) {
            return new OverloadedException(ShedReason.QUEUE_LENGTH, queued + " scorings queued, and " + rows
                    + " more would pass serve.max_scoring_queue (" + maxQueued + ")");
        }
        if (queue.refuses(System.nanoTime())) {
            return new OverloadedException(ShedReason.QUEUE_WAIT, "a scoring queued now would wait about "
                    + queue.expectedWaitNanos() / 1_000_000 + " ms, over " + queue.targetMillis() + " ms, and the"
                    + " queue has not emptied for 100 ms");
        }
        return null;
    }

    private Future<Scored> compute(ModelHandle model, Map<String, Object> row, boolean droppable) {
        if (model.inline()) {
            long t0 = System.nanoTime();
            faults.beforeScoring(model.name(), model.version());
            Prediction p = model.score(row);
            long took = System.nanoTime() - t0;
            inlineTimer.record(took, TimeUnit.NANOSECONDS);
            return Future.succeededFuture(new Scored(p, false, null, 0, took));
        }
        long enqueued = queue.enqueued();
        return workers.submit(() -> {
            long t0 = System.nanoTime();
            if (!queue.started(enqueued, t0, droppable)) {
                throw new OverloadedException(ShedReason.DEADLINE, "the scoring waited " + (t0 - enqueued) / 1_000_000
                        + " ms for a worker, past the " + queue.deadlineMillis() + " ms deadline");
            }
            faults.beforeScoring(model.name(), model.version());
            Prediction p = model.score(row);
            long took = System.nanoTime() - t0;
            queue.served(took);
            workerTimer.record(took, TimeUnit.NANOSECONDS);
            return new Scored(p, false, null, t0 - enqueued, took);
        });
    }
}
