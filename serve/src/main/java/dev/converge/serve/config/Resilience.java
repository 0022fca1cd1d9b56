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
 * @param breakerOpenSeconds the longest an open breaker waits before its next half-open probes: it first probes
 *                          250 ms after opening, then doubles the wait while the probes fail, up to this; so a
 *                          dependency that returns is used again within this many seconds of its return
 * @param halfOpenProbes    calls let through when half-open
 * @param redisTimeoutMillis per-call timeout for Redis
 * @param pgTimeoutMillis   per-call timeout for the online-feature fetch: the least it is; it follows the database's
 *                          measured latency (3x the p99 of its recent successful calls) up to {@code pgTimeoutMaxMillis}
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
 * @param pgTimeoutMaxMillis the most the online-feature fetch's timeout grows to while the database answers slowly
 * @param fallbackPrediction the degraded default answer when neither stored nor request features suffice (null
 *                          answers {"prediction": null})
 */
public record Resilience(String redisUrl, int cacheTtlSeconds, int breakerFailures, int breakerOpenSeconds,
                         int halfOpenProbes, long redisTimeoutMillis, long pgTimeoutMillis, int maxInFlight,
                         int maxScoringQueue, long maxQueueMillis, long queueDeadlineMillis, long maxLoopLagMillis,
                         long pgPoolWaitMillis, long shedDelayMillis, String fallbackPrediction,
                         boolean cacheAlways, long pgTimeoutMaxMillis) {
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
        check(pgTimeoutMaxMillis >= pgTimeoutMillis, "serve.pg_timeout_max_ms must be >= serve.pg_timeout_ms ("
                + pgTimeoutMillis + "), was " + pgTimeoutMaxMillis);
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

    /** The defaults: those of {@link #from} when nothing is set. */
    public static Resilience defaults() {
        return builder().build();
    }

    /** The settings read from {@code s}; a setting not given has the builder's default. */
    public static Resilience from(Settings s) {
        Builder d = builder();
        return d.redisUrl(s.string("serve.redis_url").orElse(d.redisUrl))
                .cacheTtlSeconds(s.integer("serve.cache_ttl_secs", d.cacheTtlSeconds))
                .breakerFailures(s.integer("serve.breaker_failures", d.breakerFailures))
                .breakerOpenSeconds(s.integer("serve.breaker_open_secs", d.breakerOpenSeconds))
                .halfOpenProbes(s.integer("serve.breaker_half_open_probes", d.halfOpenProbes))
                .redisTimeoutMillis(s.integer("serve.redis_timeout_ms", (int) d.redisTimeoutMillis))
                .pgTimeoutMillis(s.integer("serve.pg_timeout_ms", (int) d.pgTimeoutMillis))
                .pgTimeoutMaxMillis(s.integer("serve.pg_timeout_max_ms", Math.max((int) d.pgTimeoutMaxMillis,
                        s.integer("serve.pg_timeout_ms", (int) d.pgTimeoutMillis))))
                .maxInFlight(s.integer("serve.max_in_flight", d.maxInFlight))
                .maxScoringQueue(s.integer("serve.max_scoring_queue", d.maxScoringQueue))
                .maxQueueMillis(s.integer("serve.max_queue_ms", (int) d.maxQueueMillis))
                .queueDeadlineMillis(s.integer("serve.queue_deadline_ms", (int) d.queueDeadlineMillis))
                .maxLoopLagMillis(s.integer("serve.max_loop_lag_ms", (int) d.maxLoopLagMillis))
                .pgPoolWaitMillis(s.integer("serve.pg_pool_wait_ms", (int) d.pgPoolWaitMillis))
                .shedDelayMillis(s.integer("serve.shed_delay_ms", (int) d.shedDelayMillis))
                .fallbackPrediction(s.string("serve.fallback_prediction").orElse(d.fallbackPrediction))
                .cacheAlways(cacheMode(s.string("serve.cache").orElse("auto")))
                .build();
    }

    private static boolean cacheMode(String mode) {
        return switch (mode) {
            case "auto" -> false;
            case "always" -> true;
            default -> throw new IllegalArgumentException("serve.cache must be auto (a model that scores faster than a"
                    + " Redis lookup is not cached) or always, was '" + mode + "'");
        };
    }

    /** A builder with every setting at its default. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding these settings, to change some of them. */
    public Builder toBuilder() {
        return builder()
                .redisUrl(redisUrl)
                .cacheTtlSeconds(cacheTtlSeconds)
                .breakerFailures(breakerFailures)
                .breakerOpenSeconds(breakerOpenSeconds)
                .halfOpenProbes(halfOpenProbes)
                .redisTimeoutMillis(redisTimeoutMillis)
                .pgTimeoutMillis(pgTimeoutMillis)
                .pgTimeoutMaxMillis(pgTimeoutMaxMillis)
                .maxInFlight(maxInFlight)
                .maxScoringQueue(maxScoringQueue)
                .maxQueueMillis(maxQueueMillis)
                .queueDeadlineMillis(queueDeadlineMillis)
                .maxLoopLagMillis(maxLoopLagMillis)
                .pgPoolWaitMillis(pgPoolWaitMillis)
                .shedDelayMillis(shedDelayMillis)
                .fallbackPrediction(fallbackPrediction)
                .cacheAlways(cacheAlways);
    }

    /** Settings by name; {@link #build} validates them as the record does. */
    public static final class Builder {
        private String redisUrl = "redis://127.0.0.1:6379";
        private int cacheTtlSeconds = 3600;
        private int breakerFailures = 5;
        private int breakerOpenSeconds = 2;
        private int halfOpenProbes = 3;
        private long redisTimeoutMillis = 20;
        private long pgTimeoutMillis = 50;
        private long pgTimeoutMaxMillis = 500;
        private int maxInFlight = 2048;
        private int maxScoringQueue = 4096;
        private long maxQueueMillis = 50;
        private long queueDeadlineMillis = 200;
        private long maxLoopLagMillis = 50;
        private long pgPoolWaitMillis = 1000;
        private long shedDelayMillis = 1000;
        private String fallbackPrediction;
        private boolean cacheAlways;

        private Builder() {
        }

        public Builder redisUrl(String v) {
            redisUrl = v;
            return this;
        }

        public Builder cacheTtlSeconds(int v) {
            cacheTtlSeconds = v;
            return this;
        }

        public Builder breakerFailures(int v) {
            breakerFailures = v;
            return this;
        }

        public Builder breakerOpenSeconds(int v) {
            breakerOpenSeconds = v;
            return this;
        }

        public Builder halfOpenProbes(int v) {
            halfOpenProbes = v;
            return this;
        }

        public Builder redisTimeoutMillis(long v) {
            redisTimeoutMillis = v;
            return this;
        }

        public Builder pgTimeoutMillis(long v) {
            pgTimeoutMillis = v;
            pgTimeoutMaxMillis = Math.max(pgTimeoutMaxMillis, v);
            return this;
        }

        public Builder pgTimeoutMaxMillis(long v) {
            pgTimeoutMaxMillis = v;
            return this;
        }

        public Builder maxInFlight(int v) {
            maxInFlight = v;
            return this;
        }

        public Builder maxScoringQueue(int v) {
            maxScoringQueue = v;
            return this;
        }

        public Builder maxQueueMillis(long v) {
            maxQueueMillis = v;
            return this;
        }

        public Builder queueDeadlineMillis(long v) {
            queueDeadlineMillis = v;
            return this;
        }

        public Builder maxLoopLagMillis(long v) {
            maxLoopLagMillis = v;
            return this;
        }

        public Builder pgPoolWaitMillis(long v) {
            pgPoolWaitMillis = v;
            return this;
        }

        public Builder shedDelayMillis(long v) {
            shedDelayMillis = v;
            return this;
        }

        public Builder fallbackPrediction(String v) {
            fallbackPrediction = v;
            return this;
        }

        public Builder cacheAlways(boolean v) {
            cacheAlways = v;
            return this;
        }

        public Resilience build() {
            return new Resilience(redisUrl, cacheTtlSeconds, breakerFailures, breakerOpenSeconds, halfOpenProbes,
                    redisTimeoutMillis, pgTimeoutMillis, maxInFlight, maxScoringQueue, maxQueueMillis,
                    queueDeadlineMillis, maxLoopLagMillis, pgPoolWaitMillis, shedDelayMillis, fallbackPrediction,
                    cacheAlways, pgTimeoutMaxMillis);
        }
    }
}
