package dev.converge.serve.cache;

import dev.converge.serve.model.ModelHandle;
import dev.converge.serve.predict.Degradation;
import dev.converge.serve.predict.OverloadedException;
import dev.converge.serve.resilience.Failures;
import dev.converge.serve.scoring.Scorer;
import dev.converge.serve.scoring.SingleFlight;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.Map;

/**
 * The look-aside cache in front of a scorer: a Redis lookup (behind its breaker), on a miss the delegate's
 * scoring and a store, with XFetch early refresh. One flight per key covers lookup, compute and store, so
 * concurrent identical requests in this replica share one GET, one scoring and one SET. Redis failing never fails
 * a scoring: it is computed, not cached, and says so.
 */
public final class CachingScorer implements Scorer {
    private final Scorer delegate;
    private final PredictionCache cache;
    private final SingleFlight<Scored> singleFlight = new SingleFlight<>();
    private final Counter hits;
    private final Counter misses;
    private final Counter late;
    private final Counter bypassed;
    private final CacheDecision decision;

    public CachingScorer(Scorer delegate, PredictionCache cache, CacheDecision decision, MeterRegistry metrics) {
        this.delegate = delegate;
        this.cache = cache;
        this.decision = decision;
        this.bypassed = Counter.builder("converge.cache.requests").tag("result", "bypassed")
                .description("scored directly: the model scores faster than a cache lookup").register(metrics);
        this.hits = Counter.builder("converge.cache.requests").tag("result", "hit").register(metrics);
        this.misses = Counter.builder("converge.cache.requests").tag("result", "miss").register(metrics);
        this.late = Counter.builder("converge.cache.requests").tag("result", "late").register(metrics);
        io.micrometer.core.instrument.FunctionCounter.builder("converge.cache.single_flight.shared", singleFlight,
                SingleFlight::shared).register(metrics);
    }

    @Override
    public Future<Scored> score(ModelHandle model, Map<String, Object> validated, boolean droppable) {
        if (!decision.worthIt(model)) {
            bypassed.increment();
            return delegate.score(model, validated, droppable);
        }
        String key = PredictionCache.key(model, validated);
        return singleFlight.runSettling(key, () -> lookupOrCompute(model, key, validated, droppable));
    }

    @Override
    public OverloadedException refusal(ModelHandle model, int rows) {
        return delegate.refusal(model, rows);
    }

    /** The flight: its outcome as soon as it is known, and settled once a computed value is stored (or not). */
    private SingleFlight.Flight<Scored> lookupOrCompute(ModelHandle model, String key, Map<String, Object> validated,
                                                        boolean droppable) {
        Promise<Object> settled = Promise.promise();
        Future<Scored> value = cache.get(key).transform(ar -> {
            if (ar.failed() && ar.cause() instanceof OverloadedException) {
                // Redis answered, but our own event loop read the reply late: not Redis failing, so not degraded;
                // scored without the cache (and not stored: this server is overloaded).
                late.increment();
                settled.tryComplete();
                return delegate.score(model, validated, droppable);
            }
            if (ar.failed()) {
                settled.tryComplete();
                Degradation problem = new Degradation(Degradation.Kind.CACHE_UNAVAILABLE, "cache unavailable ("
                        + Failures.describe(ar.cause()) + "); computed and not cached");
                return delegate.score(model, validated, droppable)
                        .map(s -> s.withCacheProblem(problem));
            }
            PredictionCache.Entry e = ar.result();
            if (e != null && !cache.refreshEarly(e, System.currentTimeMillis())) {
                hits.increment();
                settled.tryComplete();
                return Future.succeededFuture(new Scored(CacheCodec.fromCache(e.prediction()), true, null));
            }
            misses.increment();
            long t0 = System.nanoTime();
            return delegate.score(model, validated, droppable)
                    .onSuccess(s -> cache.put(key, CacheCodec.toCache(s.prediction()),
                            (System.nanoTime() - t0) / 1e6).onComplete(put -> settled.tryComplete()))
                    .onFailure(x -> settled.tryComplete());
        });
        return new SingleFlight.Flight<>(value, settled.future());
    }
}
