package dev.converge.serve.resilience;

import dev.converge.serve.alerts.Alerts;
import dev.converge.serve.predict.OverloadedException;
import dev.converge.serve.predict.ShedReason;
import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Resilience4j circuit breaker adapted to Vert.x futures, with a per-call timeout. It opens after
 * {@code failureThreshold} consecutive failures of the dependency, stays open for a backoff that starts at 250 ms and
 * doubles while the dependency stays down, at most {@code openDuration} ({@link #probeBackoff}), then lets
 * {@code halfOpenProbes} calls through to decide whether to close. Only the dependency's own failures count:
 * time spent waiting for our own pool is not timed (see {@link #callAfter}); a call still unanswered at its timeout
 * while this server is saturated (its event loops late by half the timeout, or scorings queued for the workers) gets
 * one grace period, and if it then times out it is our overload, answered as {@link OverloadedException} and not
 * recorded. Transitions are logged; the state is {@code converge_breaker_state{dependency}} (0 closed, 1 open,
 * 2 half-open); calls not recorded for that reason are {@code converge_breaker_ignored_total{dependency}}.
 */
public final class Breaker {
    private static final Logger LOG = LoggerFactory.getLogger(Breaker.class);

    private final Vertx vertx;
    private final String dependency;
    private final CircuitBreaker breaker;
    private final AdaptiveTimeout timeout;
    private final long timeoutMillis; // the floor: what "late by half the timeout" is judged against
    private final LoopLag loopLag;
    private final java.util.function.BooleanSupplier saturated;
    private final Counter ignored;
    private volatile Throwable lastError;

    /**
     * @param loopLag   this server's event loops' recent lag (null: not watched)
     * @param saturated whether this server's own work holds the CPU now (scorings waiting for a worker): a reply
     *                  that comes late then may have waited for our CPU, not for the dependency
     */
    public Breaker(Vertx vertx, String dependency, int failureThreshold, Duration openDuration, int halfOpenProbes,
                   long timeoutMillis, LoopLag loopLag, java.util.function.BooleanSupplier saturated,
                   MeterRegistry metrics) {
        this(vertx, dependency, failureThreshold, openDuration, halfOpenProbes, new AdaptiveTimeout(timeoutMillis,
                timeoutMillis), loopLag, saturated, metrics);
    }

    /** @param timeout the per-call timeout, following the dependency's measured latency within its bounds */
    public Breaker(Vertx vertx, String dependency, int failureThreshold, Duration openDuration, int halfOpenProbes,
                   AdaptiveTimeout timeout, LoopLag loopLag, java.util.function.BooleanSupplier saturated,
                   MeterRegistry metrics) {
        this.vertx = vertx;
        this.saturated = saturated;
        this.dependency = dependency;
        this.breaker = CircuitBreaker.of(dependency, CircuitBreakerConfig.custom()
                .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
                .slidingWindowSize(failureThreshold).minimumNumberOfCalls(failureThreshold)
                .failureRateThreshold(100).waitIntervalFunctionInOpenState(probeBackoff(openDuration))
                .permittedNumberOfCallsInHalfOpenState(halfOpenProbes)
                .automaticTransitionFromOpenToHalfOpenEnabled(true).build());
        this.timeout = timeout;
        this.timeoutMillis = timeout.floorMillis();
        this.loopLag = loopLag;
        breaker.getEventPublisher().onStateTransition(e -> LOG.warn("circuit breaker '{}': {}{}", dependency,
                e.getStateTransition(), lastError == null ? "" : "; the last failure: " + Failures.kind(lastError) + " ("
                + lastError + ")"));
        Gauge.builder("converge.breaker.state", breaker, b -> switch (b.getState()) {
            case CLOSED -> 0;
            case OPEN, FORCED_OPEN -> 1;
            case HALF_OPEN -> 2;
            default -> 3;
        }).tag("dependency", dependency).register(metrics);
        Gauge.builder("converge.breaker.timeout", timeout, t -> t.nanos() / 1e9).tag("dependency", dependency)
                .description("the per-call timeout now: the configured floor, or 3x the p99 of recent successful calls,"
                        + " at most the ceiling").baseUnit("seconds").register(metrics);
        this.ignored = Counter.builder("converge.breaker.ignored").tag("dependency", dependency)
                .description("calls that failed on our side (own event loop late, own pool full) and were not"
                        + " counted against the dependency").register(metrics);
    }

    /** The first probe of an open breaker: soon, for a dependency that was only restarting. */
    static final Duration FIRST_PROBE = Duration.ofMillis(250);

    /**
     * How long an open breaker waits before its next probes: {@link #FIRST_PROBE} after it opens, doubling each time
     * the probes fail, at most {@code longest} ({@code serve.breaker_open_secs}); back to the first once it closes. A
     * dependency that returns is seen again within {@code longest} of its return, and a dead one costs a few probes
     * every {@code longest}, not a storm.
     */
    static io.github.resilience4j.core.IntervalFunction probeBackoff(Duration longest) {
        long cap = Math.max(FIRST_PROBE.toMillis(), longest.toMillis());
        return attempt -> Math.min(cap, FIRST_PROBE.toMillis() << Math.min(20, Math.max(0, attempt - 1)));
    }

    /** Alerts while the breaker is open: {@code breaker_open/<dependency>}, resolved when it closes again. */
    public void alertVia(Alerts alerts) {
        breaker.getEventPublisher().onStateTransition(e -> {
            String key = "breaker_open/" + dependency;
            switch (e.getStateTransition().getToState()) {
                case OPEN, FORCED_OPEN -> alerts.fire(key, "critical", "the " + dependency + " circuit breaker is open:"
                        + " answers that need it are degraded", java.util.Map.of("dependency", dependency,
                        "last_failure", lastError == null ? "" : Failures.kind(lastError)));
                case CLOSED -> alerts.resolve(key, "the " + dependency + " circuit breaker closed again");
                default -> { }
            }
        });
    }

    /** Runs the call unless the breaker is open; the call's own time beyond the timeout counts as a failure. */
    public <T> Future<T> call(Supplier<Future<T>> call) {
        if (!breaker.tryAcquirePermission()) {
            return Future.failedFuture(CallNotPermittedException.createCallNotPermittedException(breaker));
        }
        return timedAndRecorded(call);
    }

    /**
     * Runs {@code admit} (waiting for a pooled connection, say) untimed, then the call on what it gave, timed. An
     * {@code admit} failure that {@code ownQueue} turns into an exception of ours (a wait in our own pool) is not
     * the dependency's: the call fails with that exception and nothing is recorded; for any other admit failure
     * (a refused connection) {@code ownQueue} returns null and the failure is recorded.
     */
    public <C, T> Future<T> callAfter(Supplier<Future<C>> admit, Function<Throwable, Throwable> ownQueue,
                                      Function<C, Future<T>> call) {
        if (!breaker.tryAcquirePermission()) {
            return Future.failedFuture(CallNotPermittedException.createCallNotPermittedException(breaker));
        }
        Future<C> admitted;
        try {
            admitted = admit.get();
        } catch (RuntimeException e) {
            admitted = Future.failedFuture(e);
        }
        return admitted.transform(ar -> {
            if (ar.failed()) {
                Throwable ours = ownQueue.apply(ar.cause());
                if (ours == null && String.valueOf(ar.cause().getMessage()).startsWith("Timeout")
                        && ourFault(System.nanoTime())) {
                    // A connection that could not be opened in time while this server was saturated.
                    ours = new OverloadedException(ShedReason.SATURATED, "no connection to " + dependency
                            + " could be opened in time while this server was saturated");
                }
                if (ours != null) {
                    breaker.releasePermission();
                    ignored.increment();
                    return Future.failedFuture(ours);
                }
                lastError = ar.cause();
                breaker.onError(0, TimeUnit.NANOSECONDS, ar.cause());
                return Future.failedFuture(ar.cause());
            }
            return timedAndRecorded(() -> call.apply(ar.result()));
        });
    }

    /** Runs a permitted call under the timeout and records its outcome (ours: released, not recorded). */
    private <T> Future<T> timedAndRecorded(Supplier<Future<T>> call) {
        long t0 = System.nanoTime();
        Future<T> f;
        try {
            f = timed(call.get());
        } catch (RuntimeException e) {
            f = Future.failedFuture(e);
        }
        return f.transform(done -> {
            long now = System.nanoTime();
            if (done.succeeded()) {
                breaker.onSuccess(now - t0, TimeUnit.NANOSECONDS);
                return Future.succeededFuture(done.result());
            }
            if (done.cause() instanceof OverloadedException) { // timed out on our side: see timed()
                breaker.releasePermission();
                ignored.increment();
                return Future.failedFuture(done.cause());
            }
            lastError = done.cause();
            breaker.onError(now - t0, TimeUnit.NANOSECONDS, done.cause());
            return Future.failedFuture(done.cause());
        });
    }

    /**
     * The call, failed with a {@link TimeoutException} when it has not completed within the timeout ({@link
     * AdaptiveTimeout}: every reply, in time or late, is a measure of the dependency that moves it). When the timer
     * fires while our event loops have been running late by half the timeout or more, the reply may be sitting
     * unread on our side: the call gets one grace period (the timeout plus that lag) before it is given up.
     */
    private <T> Future<T> timed(Future<T> call) {
        long started = System.nanoTime();
        Promise<T> result = Promise.promise();
        long[] timer = new long[1];
        long timeoutNanos = timeout.nanos();
        long callMillis = Math.max(1, TimeUnit.NANOSECONDS.toMillis(timeoutNanos));
        Handler<Long> expire = new Handler<>() {
            private long due = System.nanoTime() + timeoutNanos;
            private boolean graced;

            @Override
            public void handle(Long id) {
                if (result.future().isComplete()) {
                    return;
                }
                long now = System.nanoTime();
                // The timer itself firing late is the freshest sign of our loop's lag: no probe tick has had the
                // chance to report a stall that is still going on.
                boolean ours = (now - due) * 2 >= timeoutNanos || ourFault(now);
                if (!graced && ours) {
                    graced = true;
                    long grace = Math.max(timeoutNanos, Math.max(now - due, lag(now)));
                    due = now + grace;
                    timer[0] = vertx.setTimer(Math.max(1, TimeUnit.NANOSECONDS.toMillis(grace)), this);
                    return;
                }
                if (ours) {
                    result.tryFail(new OverloadedException(ShedReason.SATURATED, "the reply from " + dependency
                            + " did not come within " + callMillis + " ms and a grace period while this server was"
                            + " saturated (its event loop running late, or scorings queued for the workers)"));
                } else {
                    result.tryFail(new TimeoutException(dependency + " did not answer within " + callMillis
                            + " ms" + (graced ? " and a grace period for this server's own lag" : "")));
                }
            }
        };
        timer[0] = vertx.setTimer(callMillis, expire);
        call.onComplete(ar -> {
            vertx.cancelTimer(timer[0]);
            if (ar.succeeded()) { // a reply that came after we gave up still says how long the dependency takes now
                timeout.succeeded(System.nanoTime() - started);
                result.tryComplete(ar.result());
            } else {
                result.tryFail(ar.cause());
            }
        });
        return result.future();
    }

    private long lag(long now) {
        return loopLag == null ? 0 : loopLag.recentMaxNanos(now);
    }

    /** Whether a late reply is better explained by this server than by the dependency. */
    private boolean ourFault(long now) {
        return lag(now) * 2 >= TimeUnit.MILLISECONDS.toNanos(timeoutMillis)
                || saturated != null && saturated.getAsBoolean();
    }

    public CircuitBreaker.State state() {
        return breaker.getState();
    }
}
