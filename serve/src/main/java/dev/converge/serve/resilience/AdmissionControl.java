package dev.converge.serve.resilience;

import dev.converge.serve.config.Resilience;
import dev.converge.serve.predict.OverloadedException;
import dev.converge.serve.predict.PredictionOutcome;
import dev.converge.serve.predict.PredictionService;
import dev.converge.serve.predict.ShedReason;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Admission, before a request is read: refuse rather than let latency grow without limit when too many requests
 * are in progress (this server's, across its event loops), or the calling event loop has been late by more than
 * serve.max_loop_lag_ms for 100 ms while the active model scores inline (its backlog is the queue then; a model
 * scored on workers makes the loop late by taking the CPU, which the scoring queue's bounds judge). The scoring queue is
 * not judged here but where a scoring joins it ({@link DirectScorer#refusal}), so that cache hits are never refused
 * for lack of scoring capacity. Counts refusals by bound, those made later on the path included ({@link #count}).
 */
public final class AdmissionControl implements PredictionService.Admission {
    private final Resilience limits;
    private final BooleanSupplier scoredInline;
    private final Supplier<OverloadedException> scoringRefusal;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final Map<ShedReason, Counter> shed = new EnumMap<>(ShedReason.class);

    /**
     * @param scoredInline   whether the active model scores on the event loop (its backlog is then the queue)
     * @param scoringRefusal when every request is scored (no cache), the scoring queue's refusal, checked here
     *                       before the body is read so that a refusal costs next to nothing; null with a cache,
     *                       whose hits must not be refused for lack of scoring capacity
     */
    public AdmissionControl(Resilience limits, BooleanSupplier scoredInline,
                     Supplier<OverloadedException> scoringRefusal,
                     MeterRegistry metrics) {
        this.limits = limits;
        this.scoredInline = scoredInline;
        this.scoringRefusal = scoringRefusal;
        for (ShedReason r : new ShedReason[] {ShedReason.IN_FLIGHT, ShedReason.QUEUE_LENGTH, ShedReason.QUEUE_WAIT,
                ShedReason.LOOP_LAG, ShedReason.PG_POOL, ShedReason.SATURATED}) {
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
        } else if (loopLagging && scoredInline.getAsBoolean()) {
            // A model scored on workers: they hold the CPU and the loop runs late for that, which the scoring
            // queue's own bounds judge. For a model scored inline the loop's backlog is the queue.
            reason = ShedReason.LOOP_LAG;
            why = "the event loop is running late by more than " + limits.maxLoopLagMillis() + " ms";
        }
        if (reason == null && scoringRefusal != null) {
            OverloadedException refused = scoringRefusal.get();
            if (refused != null) {
                reason = refused.bound();
                why = refused.getMessage();
            }
        }
        if (reason == null) {
            return null;
        }
        inFlight.decrementAndGet();
        shed.get(reason).increment();
        return new PredictionOutcome.Shed(reason, why);
    }

    /** Counts a refusal made later on the path (the scoring queue, the feature pool, a late reply). */
    public void count(ShedReason reason) {
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
