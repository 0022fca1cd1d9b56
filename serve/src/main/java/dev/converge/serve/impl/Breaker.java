package dev.converge.serve.impl;

import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Resilience4j circuit breaker adapted to Vert.x futures, with a per-call timeout. It opens after
 * {@code failureThreshold} consecutive failures, stays open for {@code openDuration}, then lets
 * {@code halfOpenProbes} calls through to decide whether to close. Transitions are logged; the state is exported
 * as {@code converge_breaker_state{dependency}} (0 closed, 1 open, 2 half-open).
 */
public final class Breaker {
    private static final Logger LOG = LoggerFactory.getLogger(Breaker.class);

    private final CircuitBreaker breaker;
    private final long timeoutMillis;

    public Breaker(String dependency, int failureThreshold, Duration openDuration, int halfOpenProbes,
                   long timeoutMillis, MeterRegistry metrics) {
        this.breaker = CircuitBreaker.of(dependency, CircuitBreakerConfig.custom()
                .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
                .slidingWindowSize(failureThreshold).minimumNumberOfCalls(failureThreshold)
                .failureRateThreshold(100).waitDurationInOpenState(openDuration)
                .permittedNumberOfCallsInHalfOpenState(halfOpenProbes)
                .automaticTransitionFromOpenToHalfOpenEnabled(true).build());
        this.timeoutMillis = timeoutMillis;
        breaker.getEventPublisher().onStateTransition(e -> LOG.warn("circuit breaker '{}': {}", dependency,
                e.getStateTransition()));
        Gauge.builder("converge.breaker.state", breaker, b -> switch (b.getState()) {
            case CLOSED -> 0;
            case OPEN, FORCED_OPEN -> 1;
            case HALF_OPEN -> 2;
            default -> 3;
        }).tag("dependency", dependency).register(metrics);
    }

    /** Runs the call unless the breaker is open; a call slower than the timeout counts as a failure. */
    public <T> Future<T> call(Supplier<Future<T>> call) {
        if (!breaker.tryAcquirePermission()) {
            return Future.failedFuture(CallNotPermittedException.createCallNotPermittedException(breaker));
        }
        long t0 = System.nanoTime();
        Future<T> f;
        try {
            f = call.get().timeout(timeoutMillis, TimeUnit.MILLISECONDS);
        } catch (RuntimeException e) {
            f = Future.failedFuture(e);
        }
        return f.andThen(ar -> {
            long took = System.nanoTime() - t0;
            if (ar.succeeded()) {
                breaker.onSuccess(took, TimeUnit.NANOSECONDS);
            } else {
                breaker.onError(took, TimeUnit.NANOSECONDS, ar.cause());
            }
        });
    }

    public CircuitBreaker.State state() {
        return breaker.getState();
    }
}
