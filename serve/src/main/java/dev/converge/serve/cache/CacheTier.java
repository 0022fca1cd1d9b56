package dev.converge.serve.cache;

import dev.converge.serve.model.ModelHandle;
import dev.converge.serve.resilience.Breaker;
import dev.converge.serve.scoring.Scorer;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisClientType;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.Request;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The prediction cache as the path uses it: the Redis client (the only one in the server), the look-aside cache in
 * front of a scorer, and the decision of which models it serves, from a lookup's cost measured at start. Without a
 * Redis ({@code serve.redis_url=none}) it is {@link #NONE}: no scorer wrapped, every model scored directly.
 */
public final class CacheTier {
    /** No cache: {@code serve.redis_url=none}. */
    public static final CacheTier NONE = new CacheTier(null, new CacheDecision(false));

    private static final int LOOKUP_SAMPLES = 101;
    private final Redis redis;
    private final CacheDecision decision;
    private PredictionCache cache;
    private MeterRegistry metrics;

    private CacheTier(Redis redis, CacheDecision decision) {
        this.redis = redis;
        this.decision = decision;
    }

    /** A cache on {@code urls} (one redis:// URL, or a Redis Cluster's seeds separated by commas). */
    public static CacheTier redis(Vertx vertx, String urls, boolean cacheAlways, Breaker breaker, long ttlMillis,
                                  MeterRegistry metrics) {
        CacheTier t = new CacheTier(Redis.createClient(vertx, options(urls)), new CacheDecision(cacheAlways));
        t.cache = new PredictionCache(t.redis, breaker, ttlMillis, 1.0, Math::random, metrics);
        t.metrics = metrics;
        return t;
    }

    /**
     * One URL: a standalone Redis. Several, separated by commas: the seed nodes of a Redis Cluster; the client learns
     * the slot map from them and sends each key to the node that holds its slot (a cache key is one command).
     */
    static RedisOptions options(String urls) {
        RedisOptions o = new RedisOptions().setMaxPoolSize(8).setMaxPoolWaiting(1024).setPoolRecycleTimeout(15_000);
        String[] seeds = urls.split(",");
        if (seeds.length == 1) {
            return o.setConnectionString(urls.trim());
        }
        return o.setType(RedisClientType.CLUSTER).setEndpoints(Arrays.stream(seeds).map(String::trim).toList());
    }

    public boolean on() {
        return redis != null;
    }

    /** {@code scorer} with the cache in front of it, or {@code scorer} itself without a cache. */
    public Scorer around(Scorer scorer) {
        return redis == null ? scorer : new CachingScorer(scorer, cache, decision, metrics);
    }

    /** Whether the cache serves {@code model}, and why: "none" when the server runs without one. */
    public String describe(ModelHandle model) {
        return redis == null ? "none" : decision.describe(model);
    }

    /** Whether {@code model}'s answers go through the cache. */
    public boolean serves(ModelHandle model) {
        return redis != null && decision.worthIt(model);
    }

    /**
     * Opens Redis connections up front, so the first requests do not pay for connecting (a cold connect can exceed
     * the Redis timeout and count against the breaker), then measures what a lookup costs.
     */
    public Future<Void> warm() {
        if (redis == null) {
            return Future.succeededFuture();
        }
        List<Future<?>> warm = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            warm.add(redis.send(Request.cmd(Command.PING)).timeout(5, TimeUnit.SECONDS));
        }
        return Future.join(warm).compose(v -> measureLookup(new long[LOOKUP_SAMPLES], 0)).mapEmpty();
    }

    /**
     * Times {@link #LOOKUP_SAMPLES} lookups of a key that does not exist, one after another on warm connections
     * (what a cache miss costs, and a hit's round trip), and takes the median as the cost of a lookup.
     */
    private Future<Void> measureLookup(long[] samples, int i) {
        if (i == samples.length) {
            long[] sorted = samples.clone();
            Arrays.sort(sorted);
            decision.measured(sorted[sorted.length / 2]);
            return Future.succeededFuture();
        }
        long t0 = System.nanoTime();
        return redis.send(Request.cmd(Command.GET).arg("converge:lookup-cost-probe")).timeout(5, TimeUnit.SECONDS)
                .compose(r -> {
                    samples[i] = System.nanoTime() - t0;
                    return measureLookup(samples, i + 1);
                });
    }
}
