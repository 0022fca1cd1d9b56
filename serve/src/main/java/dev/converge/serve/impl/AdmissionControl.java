package dev.converge.serve.impl;

import dev.converge.serve.Resilience;
import dev.converge.serve.predict.PredictionOutcome;
import dev.converge.serve.predict.PredictionService;
import dev.converge.serve.predict.ShedReason;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Admission: beyond the bounds, refuse at once rather than let latency grow without limit. Too many requests in
 * progress (this server's, across its event loops), too many scorings queued, a scoring queued now would wait
 * longer than serve.max_queue_ms, or the calling event loop has been late by more than serve.max_loop_lag_ms for
 * 100 ms (its backlog is the queue then, for models scored inline). Counts refusals by bound.
 */
final class AdmissionControl implements PredictionService.Admission {
    private final Resilience limits;
    private final QueueDelay queue;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final Map<ShedReason, Counter> shed = new EnumMap<>(ShedReason.class);

    AdmissionControl(Resilience limits, QueueDelay queue, MeterRegistry metrics) {
        this.limits = limits;
        this.queue = queue;
        for (ShedReason r : new ShedReason[] {ShedReason.IN_FLIGHT, ShedReason.QUEUE_LENGTH, ShedReason.QUEUE_WAIT,
                ShedReason.LOOP_LAG}) {
            shed.put(r, Counter.builder("converge.shed").tag("reason", r.tag())
                    .description("requests refused with 503 at admission, by the bound they hit").register(metrics));
        }
    }

    @Override
    public PredictionOutcome.Shed tryAdmit(boolean loopLagging) {
        ShedReason reason = null;
        String why = null;
        if (inFlight.incrementAndGet() > limits.maxInFlight()) {
            reason = ShedReason.IN_FLIGHT;
            why = limits.maxInFlight() + " requests in progress";
        } else if (queue.queued() > limits.maxScoringQueue()) {
            reason = ShedReason.QUEUE_LENGTH;
            why = queue.queued() + " scorings queued";
        } else if (!queue.admits()) {
            reason = ShedReason.QUEUE_WAIT;
            why = "a scoring queued now would wait about " + queue.expectedWaitNanos() / 1_000_000 + " ms, over "
                    + limits.maxQueueMillis() + " ms";
        } else if (loopLagging) {
            reason = ShedReason.LOOP_LAG;
            why = "the event loop is running late by more than " + limits.maxLoopLagMillis() + " ms";
        }
        if (reason == null) {
            return null;
        }
        inFlight.decrementAndGet();
        shed.get(reason).increment();
        return new PredictionOutcome.Shed(reason, why);
    }

    @Override
    public void release() {
        inFlight.decrementAndGet();
    }
}
