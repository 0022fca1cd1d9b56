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
 * Admission, before a request is read: refuse rather than let latency grow without limit when too many requests
 * are in progress (this server's, across its event loops), or the calling event loop has been late by more than
 * serve.max_loop_lag_ms for 100 ms (its backlog is the queue then, for models scored inline). The scoring queue is
 * not judged here but where a scoring joins it ({@link DirectScorer#refusal}), so that cache hits are never refused
 * for lack of scoring capacity. Counts refusals by bound, those made later on the path included ({@link #count}).
 */
final class AdmissionControl implements PredictionService.Admission {
    private final Resilience limits;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final Map<ShedReason, Counter> shed = new EnumMap<>(ShedReason.class);

    AdmissionControl(Resilience limits, MeterRegistry metrics) {
        this.limits = limits;
        for (ShedReason r : new ShedReason[] {ShedReason.IN_FLIGHT, ShedReason.QUEUE_LENGTH, ShedReason.QUEUE_WAIT,
                ShedReason.LOOP_LAG, ShedReason.PG_POOL}) {
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

    /** Counts a refusal made later on the path (the scoring queue, the feature pool, a late reply). */
    void count(ShedReason reason) {
        Counter c = shed.get(reason);
        if (c != null) {
            c.increment();
        }
    }

    @Override
    public void release() {
        inFlight.decrementAndGet();
    }
}
