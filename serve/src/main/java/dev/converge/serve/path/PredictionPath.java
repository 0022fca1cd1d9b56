package dev.converge.serve.path;

import dev.converge.serve.alerts.Alerts;
import dev.converge.serve.cache.CacheTier;
import dev.converge.serve.config.Resilience;
import dev.converge.serve.config.ServeConfig;
import dev.converge.serve.experiment.CanaryJudge;
import dev.converge.serve.experiment.ExperimentOutcomes;
import dev.converge.serve.experiment.ShadowScorer;
import dev.converge.serve.experiment.Variants;
import dev.converge.serve.graphql.GraphQlEngine;
import dev.converge.serve.graphql.GraphStore;
import dev.converge.serve.model.ModelHandle;
import dev.converge.serve.model.ModelSlot;
import dev.converge.serve.monitor.FeedbackStore;
import dev.converge.serve.monitor.LatencyAttribution;
import dev.converge.serve.monitor.PredictionLog;
import dev.converge.serve.pg.PgGateway;
import dev.converge.serve.predict.PredictionService;
import dev.converge.serve.resilience.AdmissionControl;
import dev.converge.serve.resilience.Breaker;
import dev.converge.serve.resilience.LoopLag;
import dev.converge.serve.resilience.QueueDelay;
import dev.converge.serve.scoring.DirectScorer;
import dev.converge.serve.scoring.Scorer;
import dev.converge.serve.scoring.ScoringFaults;
import dev.converge.serve.scoring.ScoringPool;
import dev.converge.serve.similarity.Similarity;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Builds the prediction path from the configuration: online features behind the PostgreSQL breaker, the scorer
 * chain (the Redis cache in front of inline or worker scoring, unless serve.redis_url is {@code none}), admission
 * on the scoring queue, and the service that runs them in order. A new cache goes into the scorer chain here; a
 * new transport calls {@link #service()}.
 */
public final class PredictionPath {
    private final PredictionService service;
    private final QueueDelay queue;
    private final CacheTier cache;
    private final LoopLag loopLag;
    private final PgGateway online;
    private final Vertx vertx;

    private final LatencyAttribution latency;
    private final Variants variants;
    private final ShadowScorer shadows;
    private Similarity similarity;

    private PredictionPath(Vertx vertx, PredictionService service, QueueDelay queue, CacheTier cache, LoopLag loopLag,
                           PgGateway online, LatencyAttribution latency,
                           Variants variants, ShadowScorer shadows) {
        this.variants = variants;
        this.shadows = shadows;
        this.latency = latency;
        this.vertx = vertx;
        this.online = online;
        this.service = service;
        this.queue = queue;
        this.cache = cache;
        this.loopLag = loopLag;
    }

    /** Similarity search over the stored vectors, on the same pool and breaker as the online features. */
    public synchronized Similarity similarity() {
        if (similarity == null) {
            similarity = new Similarity(online);
        }
        return similarity;
    }

    /**
     * The longest a scoring worker keeps finished results while it has more queued, so that one wake-up of the
     * event loop carries several answers (1 ms, the same turn a sliced batch takes on the loop).
     */
    static final long HAND_BACK_NANOS = java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(1);

    /** Requests mirrored to shadow variants that may wait for the shadow scorer; more are dropped and counted. */
    static final int SHADOW_QUEUE = 1000;

    /**
     * What every served model's path shares: the scoring workers and their queue, the event loops' lag, the guarded
     * PostgreSQL gateway (and replica), the cache tier, admission (one in-flight bound for the server) and the scorer
     * chain. Built once per server ({@link #common}); each model's path is built on it ({@link #build}).
     */
    public static final class Common {
        private final Vertx vertx;
        private final ServeConfig config;
        private final MeterRegistry metrics;
        private final Alerts alerts;
        private final ScoringFaults faults;
        private final ScoringPool scoringPool;
        private final QueueDelay queue;
        private final LoopLag loopLag;
        private final PgGateway online;
        private final DirectScorer direct;
        private final Scorer scorer;
        private final CacheTier cache;
        private AdmissionControl admission;

        private Common(Vertx vertx, ServeConfig config, Pool pg, Pool replica, MeterRegistry metrics, Alerts alerts,
                       ScoringFaults faults) {
            this.vertx = vertx;
            this.config = config;
            this.metrics = metrics;
            this.alerts = alerts;
            this.faults = faults;
            Resilience r = config.resilience();
            scoringPool = new ScoringPool(vertx, "converge-scoring", config.scoringWorkers(), HAND_BACK_NANOS,
                    System::nanoTime);
            queue = new QueueDelay(config.scoringWorkers(), r.maxQueueMillis(), r.queueDeadlineMillis());
            loopLag = new LoopLag();
            Breaker pgBreaker = breaker(vertx, "postgresql", r, r.pgTimeoutMillis(), loopLag,
                    () -> queue.queued() > 0, metrics);
            pgBreaker.alertVia(alerts);
            Breaker replicaBreaker = null;
            if (replica != null) {
                replicaBreaker = breaker(vertx, "postgresql_replica", r, r.pgTimeoutMillis(), loopLag,
                        () -> queue.queued() > 0, metrics);
                replicaBreaker.alertVia(alerts);
            }
            // Writes (feedback) wait longer than a feature fetch, behind their own breaker: a slow insert does not
            // open the fetch's breaker, nor does a burst of fetch timeouts refuse labels.
            long writeFloor = Math.max(1000, r.pgTimeoutMillis());
            Breaker writes = new Breaker(vertx, "postgresql_writes", r.breakerFailures(),
                    Duration.ofSeconds(r.breakerOpenSeconds()), r.halfOpenProbes(),
                    new dev.converge.serve.resilience.AdaptiveTimeout(writeFloor, Math.max(writeFloor, 5000)), loopLag,
                    () -> queue.queued() > 0, metrics);
            writes.alertVia(alerts);
            online = new PgGateway(pg, pgBreaker, replica, replicaBreaker, metrics).withWrites(writes);
            direct = new DirectScorer(scoringPool, queue, r.maxScoringQueue(), faults, metrics);
            if (r.redisUrl().equals("none")) {
                cache = CacheTier.NONE;
                scorer = direct;
            } else {
                Breaker redisBreaker = breaker(vertx, "redis", r, r.redisTimeoutMillis(), loopLag,
                        () -> queue.queued() > 0, metrics);
                redisBreaker.alertVia(alerts);
                cache = CacheTier.redis(vertx, r.redisUrl(), r.cacheAlways(), redisBreaker,
                        r.cacheTtlSeconds() * 1000L, metrics);
                scorer = cache.around(direct);
            }
        }

        /** The event loops' recent lag, which every loop's probe reports to. */
        public LoopLag loopLag() {
            return loopLag;
        }

        /** Stops the scoring workers. */
        public void close() {
            scoringPool.close();
        }
    }

    public static Common common(Vertx vertx, ServeConfig config, Pool pg, Pool replica, MeterRegistry metrics,
                                Alerts alerts, ScoringFaults faults) {
        return new Common(vertx, config, pg, replica, metrics, alerts, faults);
    }

    /**
     * One model's path on the common parts: its variants, latency attribution, shadow scorer and service, with the
     * outcome listeners registered. The first model built is the server's default: admission, one for the server,
     * judges the scoring queue at the door by it.
     */
    public static PredictionPath build(Common c, String model, ModelSlot slot, PredictionLog log) {
        Resilience r = c.config.resilience();
        if (c.admission == null) {
            // Every request of a model the cache does not serve is scored: its queue is judged at the door, where a
            // refusal costs next to nothing. Cache hits are never refused for lack of scoring capacity.
            java.util.function.Supplier<dev.converge.serve.predict.OverloadedException> door = () -> {
                ModelHandle m = slot.active();
                return m == null || c.cache.serves(m) ? null : c.direct.refusal(m, 1);
            };
            c.admission = new AdmissionControl(r, () -> slot.active() == null || slot.active().inline(), door,
                    c.metrics);
        }
        LatencyAttribution latency = new LatencyAttribution(c.config.latency().alertMillis(),
                c.config.latency().sustainedIntervals(), c.loopLag, c.alerts, c.config.eventLoops());
        Variants variants = new Variants(slot, c.metrics);
        ShadowScorer shadows = new ShadowScorer(model, SHADOW_QUEUE, log, c.faults, c.metrics);
        DefaultPredictionService service = new DefaultPredictionService(variants, c.online, c.scorer, c.admission,
                r.fallbackPrediction(), c.config.batchMaxRows(), c.config.refuseUnseenLevels(), c.metrics);
        // The log before the experiment: a shadow mirrors only the answers the log took.
        service.listen(latency);
        service.listen(log);
        service.listen(new ExperimentOutcomes(variants, shadows));
        return new PredictionPath(c.vertx, service, c.queue, c.cache, c.loopLag, c.online, latency, variants,
                shadows);
    }

    private static Breaker breaker(Vertx vertx, String dependency, Resilience r, long timeoutMillis, LoopLag loopLag,
                                   java.util.function.BooleanSupplier saturated, MeterRegistry metrics) {
        // PostgreSQL's fetch follows the database's measured latency up to its ceiling (a slow database still
        // answers); Redis's lookup stays at its timeout: a cache that answers slowly is worth less than scoring.
        long ceiling = dependency.startsWith("postgresql") ? r.pgTimeoutMaxMillis() : timeoutMillis;
        return new Breaker(vertx, dependency, r.breakerFailures(), Duration.ofSeconds(r.breakerOpenSeconds()),
                r.halfOpenProbes(), new dev.converge.serve.resilience.AdaptiveTimeout(timeoutMillis, ceiling),
                loopLag, saturated, metrics);
    }

    /** Serves a deployment whose challengers the server has loaded (version to model; a refused one missing). */
    public void deploy(dev.converge.registry.Deployment d, Map<Integer, ModelHandle> loaded) {
        variants.deploy(d, loaded);
    }

    /** The registry id of the deployment served now (0: none ever). */
    public long deploymentId() {
        return variants.live().deployment().id();
    }

    /** The deployment as this replica routes it: its id and the loaded challengers. */
    public JsonObject servedDeployment() {
        Variants.Live l = variants.live();
        io.vertx.core.json.JsonArray cs = new io.vertx.core.json.JsonArray();
        for (java.util.List<Variants.Arm> arms : java.util.List.of(l.splits(), l.shadows())) {
            for (Variants.Arm a : arms) {
                cs.add(new JsonObject().put("version", a.model().version()).put("mode", a.challenger().mode()
                        .wireName()).put("share", a.challenger().share()).put("canary", a.challenger().canary() != null)
                        .put("answered", a.stats().answered()).put("errors", a.stats().errors()));
            }
        }
        return new JsonObject().put("id", l.deployment().id()).put("allow_pinning", l.deployment().allowPinning())
                .put("challengers", cs);
    }

    /** A judge of this path's canaries (the server asks it once a second). */
    public CanaryJudge canaryJudge() {
        return new CanaryJudge(variants);
    }

    /** Stops the shadow scorer's thread (the common parts close with {@link Common#close}). */
    public void close() {
        shadows.close();
    }

    /** The event loops' recent lag, which every loop's probe reports to. */
    public LoopLag loopLag() {
        return loopLag;
    }

    public PredictionService service() {
        return service;
    }

    /** Where slow predictions' time went; the server evaluates it once an interval. */
    public LatencyAttribution latency() {
        return latency;
    }

    /** The feedback route's store: ground truth goes through the same pool and breaker. */
    public FeedbackStore feedback() {
        return new FeedbackStore(online);
    }

    /**
     * GraphQL over this path: its prediction service and the store behind its PostgreSQL breaker. {@code overrides}
     * replace resolvers by {@code Type.field} (tests); empty in production.
     */
    public GraphQlEngine graphQl(ServeConfig config, java.util.Map<String, java.util.function.Function<GraphStore,
            graphql.schema.DataFetcher<?>>> overrides) {
        return new GraphQlEngine(config, online, service, overrides);
    }

    /**
     * Sends the model's reference rows, and requests for a few stored entities, through the whole prediction path
     * (decoding, online features, validation, the cache, scoring) for up to {@code budgetMillis} or
     * {@code maxRequests}, four at a time on an event loop, so that the JIT has compiled it and the connections
     * are in use before the server says it is ready: a fresh path runs interpreted, and its first seconds under
     * load stall the loop. Never fails; what the requests return does not matter.
     */
    public Future<Void> warmUp(ModelHandle model, long budgetMillis, int maxRequests) {
        List<Map<String, Object>> rows = model.referenceRows();
        Promise<Void> done = Promise.promise();
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(budgetMillis);
        vertx.runOnContext(v -> online.sampleIds(64).recover(e -> Future.succeededFuture(List.of()))
                .compose(ids -> online.warmPrimary(ids).map(ids)).onComplete(ids -> {
            // Stored keys as a caller would send them: a feature-set model's entities without their "set/" prefix
            // (keys of other sets are left out; with no set, every key is an id).
            String prefix = model.featureSet().isEmpty() ? "" : model.featureSet() + "/";
            List<String> entities = ids.result().stream().filter(k -> k.startsWith(prefix))
                    .map(k -> k.substring(prefix.length())).toList();
            int[] sent = {0};
            int[] running = {4};
            Runnable[] next = new Runnable[1];
            next[0] = () -> {
                if (sent[0] >= maxRequests || System.nanoTime() >= end || rows.isEmpty() && entities.isEmpty()) {
                    if (--running[0] == 0) {
                        done.tryComplete();
                    }
                    return;
                }
                int i = sent[0]++;
                Object request = i % 2 == 0 && !rows.isEmpty() || entities.isEmpty()
                        ? new JsonObject().put("features", new JsonObject(new java.util.LinkedHashMap<>(rows.get(
                                i % rows.size()))))
                        : new JsonObject().put("entity_id", entities.get(i % entities.size()));
                service.predict(request).onComplete(ar -> vertx.runOnContext(x -> next[0].run()));
            };
            for (int k = 0; k < 4; k++) {
                next[0].run();
            }
        }));
        return done.future();
    }

    /** Whether the cache serves {@code model}, and why: "none" when the server runs without one. */
    public String cacheDecision(ModelHandle model) {
        return cache.describe(model);
    }

    /** Whether {@code model}'s answers go through the cache. */
    public boolean cached(ModelHandle model) {
        return cache.serves(model);
    }

    /** The queue's service time restarts from the newly active model's measured scoring time. */
    public void modelChanged(double p90Nanos) {
        queue.modelChanged(p90Nanos);
    }

    /**
     * Opens Redis connections up front, so the first requests do not pay for connecting, and measures a lookup's
     * cost (which models the cache serves depends on it).
     */
    public Future<Void> warmCache() {
        return cache.warm();
    }
}
