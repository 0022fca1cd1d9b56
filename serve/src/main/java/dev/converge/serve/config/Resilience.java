package dev.converge.serve.config;

import dev.converge.contracts.config.Settings;

/**
 * Cache and failure settings, validated at start-up.
 *
 * @param redisUrl          Redis for the prediction cache: one redis:// URL, several separated by commas for a Redis
 *                          Cluster (its seed nodes), or "none" to run without a cache
 * @param cacheTtlSeconds   how long a prediction is cached; default one hour: far below the retraining interval,
 *                          and a new model version is a new key namespace anyway
 * @param breakerFailures   consecutive failures that open a breaker
 * @param breakerOpenSeconds how long an open breaker stays open before half-open probes
 * @param halfOpenProbes    calls let through when half-open
 * @param redisTimeoutMillis per-call timeout for Redis
 * @param pgTimeoutMillis   per-call timeout for the online-feature fetch
 * @param maxInFlight       requests in progress beyond which new ones are shed with 503 and Retry-After
 * @param maxScoringQueue   queued offloaded scorings beyond which new requests are shed
 * @param maxQueueMillis    expected wait for a scoring worker beyond which new requests are shed (queued scorings x
 *                          measured scoring time / workers)
 * @param queueDeadlineMillis a single request's scoring that waited longer than this for a worker is not run: 503
 *                          (a batch's rows are never dropped)
 * @param maxLoopLagMillis  event-loop lag beyond which, sustained for 100 ms, new requests are shed
 * @param pgPoolWaitMillis  longest wait for a connection of the feature store's pool; beyond it the request is shed
 *                          (our own queue: never counted against the PostgreSQL breaker)
 * @param shedDelayMillis   how long a refusal for overload is held before it is answered (0: at once), so that
 *                          clients which retry at once cannot turn refusals into a storm that starves the scoring
 *                          they protect; at most the Retry-After second
 * @param cacheAlways        cache every model's answers; by default (false) a model that scores faster than a Redis
 *                          lookup (measured at start) is scored directly ({@code serve.cache=auto|always})
 * @param fallbackPrediction the degraded default answer when neither stored nor request features suffice (null
 *                          answers {"prediction": null})
 */
public record Resilience(String redisUrl, int cacheTtlSeconds, int breakerFailures, int breakerOpenSeconds,
                         int halfOpenProbes, long redisTimeoutMillis, long pgTimeoutMillis, int maxInFlight,
                         int maxScoringQueue, long maxQueueMillis, long queueDeadlineMillis, long maxLoopLagMillis,
                         long pgPoolWaitMillis, long shedDelayMillis, String fallbackPrediction,
                         boolean cacheAlways) {
    public Resilience {
        check(redisUrl != null && (redisUrl.equals("none") || java.util.Arrays.stream(redisUrl.split(","))
                        .allMatch(u -> u.trim().startsWith("redis://"))),
                "serve.redis_url must be redis://host:port, several of them separated by commas (the seed nodes of"
                        + " a Redis Cluster), or none; was '" + redisUrl + "'");
        check(cacheTtlSeconds >= 1, "serve.cache_ttl_secs must be >= 1, was " + cacheTtlSeconds);
        check(breakerFailures >= 1, "serve.breaker_failures must be >= 1, was " + breakerFailures);
        check(breakerOpenSeconds >= 1, "serve.breaker_open_secs must be >= 1, was " + breakerOpenSeconds);
        check(halfOpenProbes >= 1, "serve.breaker_half_open_probes must be >= 1, was " + halfOpenProbes);
        check(redisTimeoutMillis >= 1, "serve.redis_timeout_ms must be >= 1, was " + redisTimeoutMillis);
        check(pgTimeoutMillis >= 1, "serve.pg_timeout_ms must be >= 1, was " + pgTimeoutMillis);
        check(maxInFlight >= 1, "serve.max_in_flight must be >= 1, was " + maxInFlight);
        check(maxScoringQueue >= 1, "serve.max_scoring_queue must be >= 1, was " + maxScoringQueue);
        check(maxQueueMillis >= 1, "serve.max_queue_ms must be >= 1, was " + maxQueueMillis);
        check(maxLoopLagMillis >= 1, "serve.max_loop_lag_ms must be >= 1, was " + maxLoopLagMillis);
        check(pgPoolWaitMillis >= 1, "serve.pg_pool_wait_ms must be >= 1, was " + pgPoolWaitMillis);
        check(shedDelayMillis >= 0 && shedDelayMillis <= 1000, "serve.shed_delay_ms must be 0..1000 (the"
                + " Retry-After second), was " + shedDelayMillis);
        check(queueDeadlineMillis >= maxQueueMillis, "serve.queue_deadline_ms must be >= serve.max_queue_ms ("
                + maxQueueMillis + "), was " + queueDeadlineMillis);
    }

    private static void check(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }

    public static Resilience defaults() {
        return from(Settings.empty());
    }

    public static Resilience from(Settings s) {
        return new Resilience(s.string("serve.redis_url").orElse("redis://127.0.0.1:6379"),
                s.integer("serve.cache_ttl_secs", 3600), s.integer("serve.breaker_failures", 5),
                s.integer("serve.breaker_open_secs", 60), s.integer("serve.breaker_half_open_probes", 3),
                s.integer("serve.redis_timeout_ms", 20), s.integer("serve.pg_timeout_ms", 50),
                s.integer("serve.max_in_flight", 2048), s.integer("serve.max_scoring_queue", 4096),
                s.integer("serve.max_queue_ms", 50), s.integer("serve.queue_deadline_ms", 200),
                s.integer("serve.max_loop_lag_ms", 50), s.integer("serve.pg_pool_wait_ms", 1000),
                s.integer("serve.shed_delay_ms", 1000),
                s.string("serve.fallback_prediction").orElse(null), cacheMode(s.string("serve.cache").orElse("auto")));
    }

    private static boolean cacheMode(String mode) {
        return switch (mode) {
            case "auto" -> false;
            case "always" -> true;
            default -> throw new IllegalArgumentException("serve.cache must be auto (a model that scores faster than a"
                    + " Redis lookup is not cached) or always, was '" + mode + "'");
        };
    }

    /** Caches every model's answers, however cheap its scoring. */
    public Resilience withCacheAlways() {
        return new Resilience(redisUrl, cacheTtlSeconds, breakerFailures, breakerOpenSeconds, halfOpenProbes,
                redisTimeoutMillis, pgTimeoutMillis, maxInFlight, maxScoringQueue, maxQueueMillis,
                queueDeadlineMillis, maxLoopLagMillis, pgPoolWaitMillis, shedDelayMillis, fallbackPrediction, true);
    }

    public Resilience with(String redis, int openSeconds) {
        return new Resilience(redis, cacheTtlSeconds, breakerFailures, openSeconds, halfOpenProbes, redisTimeoutMillis,
                pgTimeoutMillis, maxInFlight, maxScoringQueue, maxQueueMillis,
                queueDeadlineMillis, maxLoopLagMillis, pgPoolWaitMillis, shedDelayMillis, fallbackPrediction, cacheAlways);
    }

    public Resilience withRedisTimeout(long millis) {
        return new Resilience(redisUrl, cacheTtlSeconds, breakerFailures, breakerOpenSeconds, halfOpenProbes, millis,
                pgTimeoutMillis, maxInFlight, maxScoringQueue, maxQueueMillis,
                queueDeadlineMillis, maxLoopLagMillis, pgPoolWaitMillis, shedDelayMillis, fallbackPrediction, cacheAlways);
    }

    public Resilience withMaxInFlight(int n) {
        return new Resilience(redisUrl, cacheTtlSeconds, breakerFailures, breakerOpenSeconds, halfOpenProbes,
                redisTimeoutMillis, pgTimeoutMillis, n, maxScoringQueue, maxQueueMillis, queueDeadlineMillis,
                maxLoopLagMillis, pgPoolWaitMillis, shedDelayMillis, fallbackPrediction, cacheAlways);
    }

    public Resilience withQueueDelay(long targetMillis, long deadlineMillis) {
        return new Resilience(redisUrl, cacheTtlSeconds, breakerFailures, breakerOpenSeconds, halfOpenProbes,
                redisTimeoutMillis, pgTimeoutMillis, maxInFlight, maxScoringQueue, targetMillis, deadlineMillis,
                maxLoopLagMillis, pgPoolWaitMillis, shedDelayMillis, fallbackPrediction, cacheAlways);
    }

    public Resilience withShedDelay(long millis) {
        return new Resilience(redisUrl, cacheTtlSeconds, breakerFailures, breakerOpenSeconds, halfOpenProbes,
                redisTimeoutMillis, pgTimeoutMillis, maxInFlight, maxScoringQueue, maxQueueMillis,
                queueDeadlineMillis, maxLoopLagMillis, pgPoolWaitMillis, millis, fallbackPrediction, cacheAlways);
    }
}
