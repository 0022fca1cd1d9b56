package dev.converge.serve;

import dev.converge.registry.ChampionNotice;
import dev.converge.registry.ModelRegistry;
import dev.converge.registry.PgEndpoint;
import dev.converge.serve.impl.Alerts;
import dev.converge.serve.impl.HttpApi;
import dev.converge.serve.impl.ModelAdmin;
import dev.converge.serve.impl.ModelHandle;
import dev.converge.serve.impl.ModelLoader;
import dev.converge.serve.impl.ModelSlot;
import dev.converge.serve.drift.Drift;
import dev.converge.serve.drift.DriftJob;
import dev.converge.serve.drift.Retrainer;
import dev.converge.serve.impl.PredictionLog;
import dev.converge.serve.impl.PredictionPath;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.pubsub.PgSubscriber;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import java.net.ServerSocket;
import java.net.URI;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The prediction server: Vert.x HTTP on every event loop, scoring MOJOs with h2o-genmodel (no H2O cluster), online
 * features from PostgreSQL through the reactive client, models loaded from the registry and verified before they
 * take traffic, hot swaps that never drop a request, and Prometheus metrics.
 */
public final class PredictionServer {
    private static final Logger LOG = LoggerFactory.getLogger(PredictionServer.class);

    /** A registry read that hangs longer than this fails, so one hung read cannot stall every later swap. */
    static final int REGISTRY_SOCKET_TIMEOUT_SECONDS = 30;

    private final ServeConfig config;
    private final Vertx vertx;
    private final Pool pg;
    private final Pool replica;
    private final PgSubscriber subscriber;
    private final WorkerExecutor loader;
    private final ModelSlot slot = new ModelSlot();
    private final ModelLoader modelLoader;
    private final javax.sql.DataSource registryDb;
    private final PredictionLog predictionLog;
    private final DriftJob drift;
    private final Alerts alerts;
    private final Retrainer retrainer;
    private final WorkerExecutor driftWorker;
    private final PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final AtomicReference<String> notReadyReason = new AtomicReference<>(Readiness.LOADING);
    private final int port;
    private HttpApi.Shared shared;
    private PredictionPath path;

    private PredictionServer(ServeConfig config, PgEndpoint db, int port) {
        this.config = config;
        this.port = port;
        metrics.config().meterFilter(new dev.converge.serve.impl.MetricHelp());
        this.vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(config.eventLoops()));
        PgConnectOptions pgOptions = pgOptions(db);
        this.pg = PgBuilder.pool().with(new PoolOptions().setMaxSize(config.pgPoolSize()).setMaxWaitQueueSize(1024)
                .setConnectionTimeout((int) config.resilience().pgPoolWaitMillis())
                .setConnectionTimeoutUnit(java.util.concurrent.TimeUnit.MILLISECONDS)
                .setName("converge-features")).connectingTo(pgOptions).using(vertx).build();
        // Online reads from a hot standby when one is named: a pool of its own, the same size and wait bound.
        this.replica = config.onlineReadUrl() == null ? null : PgBuilder.pool().with(new PoolOptions()
                .setMaxSize(config.pgPoolSize()).setMaxWaitQueueSize(1024)
                .setConnectionTimeout((int) config.resilience().pgPoolWaitMillis())
                .setConnectionTimeoutUnit(java.util.concurrent.TimeUnit.MILLISECONDS)
                .setName("converge-features-replica"))
                .connectingTo(pgOptions(replicaEndpoint(config.onlineReadUrl(), db)))
                .using(vertx).build();
        this.subscriber = PgSubscriber.subscriber(vertx, pgOptions).reconnectPolicy(retries -> 1000L);
        this.loader = vertx.createSharedWorkerExecutor("converge-model-loader", 1);
        this.modelLoader = new ModelLoader(db.dataSource(REGISTRY_SOCKET_TIMEOUT_SECONDS),
                config.inlineScoringMaxMicros());
        this.registryDb = db.dataSource(10);
        this.predictionLog = config.predictionLog().on() ? new PredictionLog(config.predictionLog(),
                db.dataSource(REGISTRY_SOCKET_TIMEOUT_SECONDS), metrics) : PredictionLog.OFF;
        this.alerts = new Alerts(config.alertsWebhookUrl(), metrics);
        ServeConfig.Drift d = config.drift();
        this.drift = new DriftJob(db.dataSource(300), d.psiWarn(), d.psiAlert(), d.sampleRows(), metrics);
        this.retrainer = d.retrains() ? new Retrainer(db.dataSource(30), d.retrainCommand().isEmpty()
                ? Retrainer.defaultCommand(d.retrainPipeline(), db.url(), db.user()) : d.retrainCommand(),
                java.time.Duration.ofMinutes(d.retrainTimeoutMinutes()), alerts) : null;
        this.driftWorker = vertx.createSharedWorkerExecutor("converge-drift", 1, 10, java.util.concurrent.TimeUnit.MINUTES);
        new JvmMemoryMetrics().bindTo(metrics);
        new JvmGcMetrics().bindTo(metrics);
        new JvmThreadMetrics().bindTo(metrics);
        new ProcessorMetrics().bindTo(metrics);
        Gauge.builder("converge.pg.pool.size", pg, Pool::size).register(metrics);
    }

    /**
     * Starts serving: listens at once (liveness is immediate), then loads and verifies the champion; readiness
     * turns true when that has passed. {@code extraRoutes} lets tests add routes; null in production.
     */
    public static Future<PredictionServer> start(ServeConfig config, PgEndpoint db, Consumer<Router> extraRoutes) {
        return start(config, db, extraRoutes, ScoringFaults.NONE);
    }

    /** As {@link #start(ServeConfig, PgEndpoint, Consumer)}, with faults injected into scoring (tests). */
    public static Future<PredictionServer> start(ServeConfig config, PgEndpoint db, Consumer<Router> extraRoutes,
                                                 ScoringFaults faults) {
        int port = config.port() == 0 ? freePort() : config.port();
        PredictionServer s = new PredictionServer(config.withPort(port), db, port);
        return s.deploy(extraRoutes, faults).map(v -> s);
    }

    private Future<Void> deploy(Consumer<Router> extraRoutes, ScoringFaults faults) {
        path = PredictionPath.build(vertx, config, pg, replica, slot, metrics, predictionLog, alerts, faults);
        canary = path.canaryJudge();
        dashboard = new dev.converge.serve.impl.Dashboard(new dev.converge.serve.impl.LiveSeries(metrics),
                registryDb, config.model(), this::servedJson, config.drift().psiWarn(), config.drift().psiAlert());
        shared = new HttpApi.Shared(config, path.service(), graphql.future(),
                path.feedback(), metrics, new AdminImpl(), path.loopLag(), dashboard, path.similarity(), extraRoutes);
        return vertx.deployVerticle(() -> new HttpApi(shared), new DeploymentOptions().setInstances(config.eventLoops()))
                .compose(id -> warmPool())
                .onSuccess(v -> {
                    dashboard.start(vertx);
                    LOG.info("converge serving on {}:{} ({} event loops)", config.host(), port, config.eventLoops());
                    activate(null).onSuccess(a -> followed = a.getInteger("active")).onFailure(e -> {
                        notReadyReason.set(e.getMessage());
                        LOG.error("no model loaded: {}", e.getMessage());
                    }).onComplete(ar -> {
                        followDeployment("start");
                        buildGraphQl();
                    });
                    listenForChampions();
                    vertx.setPeriodic(1000, 1000, id -> judgeCanary());
                    scheduleDrift();
                    long every = config.latency().intervalSeconds() * 1000L;
                    vertx.setPeriodic(every, every, id -> {
                        ModelHandle m = slot.active();
                        if (m != null) {
                            path.latency().evaluate(m.name());
                        }
                    });
                });
    }

    /** The GraphQL engine, built once the first model is ready or has failed to load ({@link #buildGraphQl}). */
    private final io.vertx.core.Promise<dev.converge.serve.impl.GraphQlEngine> graphql = io.vertx.core.Promise.promise();

    /**
     * Builds the GraphQL engine on a worker, after the first model's load: its schema costs about half a second of
     * one core at start (graphql-java's parsing and wiring), which readiness need not wait for. GraphQL requests that
     * arrive before it is built wait for it.
     */
    private void buildGraphQl() {
        long t0 = System.nanoTime();
        vertx.executeBlocking(() -> path.graphQl(config, java.util.Map.of()), false).onComplete(ar -> {
            if (ar.succeeded()) {
                LOG.debug("GraphQL engine built in {} ms", (System.nanoTime() - t0) / 1_000_000);
                graphql.tryComplete(ar.result());
            } else {
                LOG.error("could not build the GraphQL engine: {}", ar.cause().toString());
                graphql.tryFail(ar.cause());
            }
        });
    }

    /**
     * Opens the PostgreSQL pool's connections and Redis connections up front, so the first requests do not pay for
     * connecting (a cold connect can exceed the 20 ms Redis timeout and count against the breaker).
     */
    private Future<Void> warmPool() {
        return warmPool(3).compose(v -> path.warmCache()).recover(e -> {
            LOG.warn("could not warm the Redis connections: {}", e.getMessage());
            return Future.succeededFuture();
        });
    }

    /**
     * Opens every connection of the feature store's pool, retrying: at start-up the JIT and the model's verification
     * compete for the CPU, and a connection that is not opened now is opened by the first requests, under load.
     */
    private Future<Void> warmPool(int attempts) {
        java.util.List<Future<?>> warm = new java.util.ArrayList<>();
        java.util.List<io.vertx.sqlclient.SqlConnection> held = new java.util.ArrayList<>();
        for (int i = 0; i < config.pgPoolSize(); i++) {
            warm.add(pg.getConnection().compose(c -> {
                synchronized (held) {
                    held.add(c);
                }
                return c.query("SELECT 1").execute();
            }));
        }
        return Future.join(warm).transform(ar -> {
            synchronized (held) {
                held.forEach(io.vertx.sqlclient.SqlConnection::close);
            }
            if (ar.succeeded() || attempts <= 1) {
                if (ar.failed()) {
                    LOG.warn("could not open all {} connections of the feature store's pool: {}", config.pgPoolSize(),
                            ar.cause().getMessage());
                }
                return Future.succeededFuture();
            }
            return warmPool(attempts - 1);
        });
    }

    /**
     * Follows the registry: on every notice on the channel, on every (re)subscription (notices sent while the
     * subscriber was reconnecting are lost) and every {@link #CHAMPION_POLL_MILLIS} as a backstop, re-read the
     * champion and converge to it. A notice is only a hint: its version is never trusted over the registry's (a
     * rollback sent while the promoted version was still loading would otherwise be dropped), and the channel being
     * database-wide, a notice from another schema's registry costs one re-read and changes nothing.
     */
    private void listenForChampions() {
        subscriber.channel(ModelRegistry.CHANNEL).subscribeHandler(v -> followChampion("subscribed to "
                + ModelRegistry.CHANNEL)).handler(payload -> {
            ChampionNotice notice = ChampionNotice.decode(payload).orElse(null);
            if (notice == null || notice.model().equals(config.model())) {
                followChampion("notice '" + payload + "'");
            }
        });
        subscriber.connect().onFailure(e -> LOG.warn("LISTEN {} failed: {}; the champion is re-read every {} s until"
                + " it connects", ModelRegistry.CHANNEL, e.getMessage(), CHAMPION_POLL_MILLIS / 1000));
        vertx.setPeriodic(CHAMPION_POLL_MILLIS, CHAMPION_POLL_MILLIS, id -> followChampion("periodic check"));
    }

    /** How often the champion is re-read even when no notice came. */
    static final long CHAMPION_POLL_MILLIS = 30_000;
    private final java.util.concurrent.atomic.AtomicBoolean following = new java.util.concurrent.atomic.AtomicBoolean();
    private volatile boolean followAgain;
    /** The registry's champion as last followed (null before the first load). */
    private volatile Integer followed;

    /**
     * Converges the active model on the registry's champion, one pass at a time: a request that comes while a pass
     * (and the load it started) runs makes one more pass run after it, so the last word always wins.
     */
    void followChampion(String why) {
        followAgain = true;
        if (following.compareAndSet(false, true)) {
            followPass(why);
        }
    }

    private void followPass(String why) {
        followAgain = false;
        loader.executeBlocking(() -> modelLoader.championVersion(config.model()), true).<Void>compose(champion -> {
            ModelHandle active = slot.active();
            if (champion.isEmpty() || active != null && (champion.get().equals(followed)
                    || active.version() == champion.get())) {
                // Unchanged since we last followed it (an operator's /admin activation stands until the registry
                // moves), or already served. With nothing served (the first load found no champion, or it was
                // refused), a champion is loaded.
                champion.ifPresent(v -> followed = v);
                return Future.succeededFuture();
            }
            int v = champion.get();
            followed = v;
            LOG.info("registry's champion of {} is v{} ({}), serving {}; swapping", config.model(), v, why,
                    active == null ? "nothing" : "v" + active.version());
            return activate(v).<Void>mapEmpty().onFailure(e -> LOG.error("champion v{} refused: {}", v,
                    e.getMessage()));
        }).compose(v -> followDeployment(why)).onComplete(ar -> {
            if (ar.failed()) {
                LOG.warn("could not re-read the champion of {} ({}): {}", config.model(), why, ar.cause().getMessage());
            }
            following.set(false);
            if (followAgain && following.compareAndSet(false, true)) {
                followPass("a notice during the last pass");
            }
        });
    }

    private dev.converge.serve.impl.CanaryJudge canary;
    private dev.converge.serve.impl.Dashboard dashboard;

    /** What this replica serves, for the dashboard: readiness, and the deployment as routed. */
    private JsonObject servedJson() {
        Readiness r = readiness();
        JsonObject o = new JsonObject().put("ready", r.ready()).put("reason", r.reason());
        ModelHandle m = slot.active();
        if (m != null) {
            o.put("champion", new JsonObject().put("version", m.version()).put("algorithm", m.algorithm())
                    .put("scoring", m.inline() ? "inline" : "worker").put("p90_us", m.p90Micros())
                    .put("cache", path.cacheDecision(m)));
        }
        return o.put("deployment", path.servedDeployment());
    }
    /** Challengers loaded for the deployment being served, by version (the loader thread's only). */
    private java.util.Map<Integer, ModelHandle> challengers = java.util.Map.of();
    private volatile boolean deploymentFollowed;
    private volatile boolean deploymentsMissing;

    /**
     * Reads the model's deployment and serves it: challengers not yet loaded are loaded and verified like any model
     * (one refused is left out, with an alert), those no longer deployed are released. On the loader's thread, after
     * the champion, so a replica started during an experiment routes like the others before it says it is ready.
     */
    private Future<Void> followDeployment(String why) {
        return loader.executeBlocking(() -> {
            dev.converge.registry.Deployment d;
            try {
                d = modelLoader.deployment(config.model());
                deploymentsMissing = false;
            } catch (java.sql.SQLException e) {
                if (!"42P01".equals(e.getSQLState())) {
                    throw e;
                }
                if (!deploymentsMissing) {
                    LOG.warn("the registry has no model_deployments table (run 'converge migrate'): the champion"
                            + " takes every request");
                }
                deploymentsMissing = true;
                d = dev.converge.registry.Deployment.none(config.model());
            }
            java.util.Map<Integer, ModelHandle> loaded = new java.util.HashMap<>();
            for (dev.converge.registry.Deployment.Challenger c : d.challengers()) {
                ModelHandle have = challengers.get(c.version());
                if (have == null) {
                    try {
                        have = modelLoader.load(config.model(), c.version());
                        LOG.info("loaded challenger {} v{} ({}, {} of the traffic, p90 {} us per row)", config.model(),
                                c.version(), c.mode().wireName(), c.share(), have.p90Micros());
                    } catch (Exception e) {
                        LOG.error("challenger v{} refused: {}", c.version(), e.getMessage());
                        alerts.fire("model_refused/" + config.model() + "/v" + c.version(), "critical", "challenger"
                                + " v" + c.version() + " of '" + config.model() + "' was refused at load: "
                                + e.getMessage(), java.util.Map.of("model", config.model(), "version", c.version()));
                        continue;
                    }
                }
                loaded.put(c.version(), have);
            }
            challengers = loaded;
            path.deploy(d, loaded);
            return null;
        }, true).<Void>mapEmpty().onComplete(ar -> {
            deploymentFollowed = true;
            if (ar.failed()) {
                LOG.warn("could not follow the deployment of {} ({}): {}", config.model(), why, ar.cause().getMessage());
            }
        });
    }

    /** Once a second: a canary's step or rollback, written to the registry if the deployment is still the one judged. */
    private void judgeCanary() {
        dev.converge.serve.impl.CanaryJudge.Decision decision = canary.judge(slot.active(), System.currentTimeMillis());
        if (decision == null) {
            return;
        }
        dev.converge.registry.Deployment from = decision.from();
        loader.executeBlocking(() -> modelLoader.registry().deploy(config.model(), from.replacing(decision.changed()),
                from.allowPinning(), "canary", decision.reason(), from.id()), true).onSuccess(written -> {
                    if (written.isEmpty()) {
                        return; // changed since: judged again on the new deployment
                    }
                    LOG.warn("{}", decision.reason());
                    if (decision.rollback()) {
                        alerts.fire("canary/" + config.model() + "/v" + decision.changed().version(), "warning",
                                decision.reason(), java.util.Map.of("model", config.model(), "version",
                                        decision.changed().version()));
                    }
                    followChampion("canary decision");
                }).onFailure(e -> LOG.error("canary decision not written ({}): {}", decision.reason(), e.getMessage()));
    }

    /** The drift job every serve.drift.interval_minutes, for the model served then (one replica at a time). */
    private void scheduleDrift() {
        long every = config.drift().intervalMinutes() * 60_000L;
        if (every > 0) {
            vertx.setPeriodic(every, every, id -> runDrift(config.drift().windowMinutes()).onFailure(e ->
                    LOG.warn("drift run failed: {}", e.getMessage())));
        }
    }

    private Future<JsonObject> runDrift(int windowMinutes) {
        ModelHandle m = slot.active();
        if (m == null) {
            return Future.failedFuture(new IllegalStateException(Readiness.LOADING));
        }
        return driftWorker.executeBlocking(() -> drift.run(m.name(), m.version(),
                java.time.Duration.ofMinutes(windowMinutes)), false).map(r -> {
                    LOG.info("drift of {} v{} over {} logged predictions ({} sampled): {}", r.model(), r.version(),
                            r.logged(), r.sampled(), r.skipped() != null ? r.skipped() : r.features().stream()
                                    .filter(f -> !drift.level(f).equals("ok")).map(f -> f.feature() + " "
                                            + drift.level(f) + " (PSI " + String.format("%.3f", f.psi()) + ")")
                                    .toList());
                    alertOnDrift(r);
                    return driftJson(r);
                });
    }

    /** A feature at the alert level fires {@code drift/<model>/<feature>}; one that no longer is, resolves it. */
    private void alertOnDrift(DriftJob.Report r) {
        if (r.skipped() != null) {
            return;
        }
        String prefix = "drift/" + r.model() + "/";
        java.util.Set<String> stillFiring = alerts.firing(prefix);
        boolean newAlert = false;
        for (Drift.FeatureDrift f : r.features()) {
            String key = prefix + f.feature();
            if (drift.level(f).equals("alert")) {
                newAlert |= !alerts.isFiring(key);
                alerts.fire(key, "warning", "feature '" + f.feature() + "' of model '" + r.model() + "' v" + r.version()
                        + " has drifted: PSI " + String.format("%.3f", f.psi()) + " over " + r.sampled()
                        + " predictions", java.util.Map.of("model", r.model(), "version", r.version(), "feature",
                        f.feature(), "psi", f.psi(), "ks", f.ks() == null ? "" : f.ks(), "run_id",
                        r.runId().toString(), "sampled", r.sampled()));
                stillFiring.remove(key);
            }
        }
        stillFiring.forEach(key -> alerts.resolve(key, "feature '" + key.substring(prefix.length())
                + "' is back within the drift threshold (run " + r.runId() + ")"));
        if (newAlert && retrainer != null) {
            retrainer.trigger(r.model(), "drift run " + r.runId());
        }
    }

    private JsonObject driftJson(DriftJob.Report r) {
        JsonObject o = new JsonObject().put("run_id", r.runId().toString()).put("model", r.model())
                .put("version", r.version()).put("window_start", r.windowStart().toString())
                .put("window_end", r.windowEnd().toString()).put("logged", r.logged()).put("sampled", r.sampled());
        if (r.skipped() != null) {
            return o.put("skipped", r.skipped());
        }
        io.vertx.core.json.JsonArray features = new io.vertx.core.json.JsonArray();
        for (Drift.FeatureDrift f : r.features()) {
            JsonObject bins = new JsonObject();
            f.bins().forEach((k, v) -> bins.put(k, new io.vertx.core.json.JsonArray().add(v[0]).add(v[1])));
            features.add(new JsonObject().put("feature", f.feature()).put("psi", f.rows() == 0 ? null : f.psi())
                    .put("ks", f.ks()).put("level", drift.level(f)).put("bins", bins));
        }
        return o.put("features", features);
    }

    /** Loads, verifies and warms a version (the champion when null) beside the active one, then swaps. */
    Future<JsonObject> activate(Integer version) {
        long t0 = System.nanoTime();
        return loader.executeBlocking(() -> modelLoader.load(config.model(), version), true).onFailure(e ->
                alerts.fire("model_refused/" + config.model(), "critical", "model '" + config.model() + "' "
                        + (version == null ? "champion" : "v" + version) + " was refused at load: " + e.getMessage(),
                        java.util.Map.of("model", config.model(), "version", version == null ? "champion"
                                : version.toString()))).map(next -> {
            alerts.resolve("model_refused/" + config.model(), "model '" + config.model() + "' v" + next.version()
                    + " loaded and verified");
            ModelHandle before = slot.active();
            slot.activate(next);
            path.modelChanged(next.p90Micros() * 1000);
            if (warmedUp) {
                notReadyReason.set(null);
            }
            publishModelInfo(next);
            LOG.info("serving {} v{} ({}; p90 {} us per row, scoring {}; cache {})", next.name(), next.version(),
                    next.algorithm(), next.p90Micros(), next.inline() ? "inline" : "on workers",
                    path.cacheDecision(next));
            return new JsonObject().put("active", next.version())
                    .put("previous", before == null ? null : before.version())
                    .put("scoring", next.inline() ? "inline" : "worker").put("p90_us", next.p90Micros())
                    .put("cache", path.cacheDecision(next))
                    .put("swap_ms", (System.nanoTime() - t0) / 1e6);
        }).compose(answer -> warmedUp ? Future.succeededFuture(answer) : warmUp().map(answer));
    }

    private Gauge modelInfo;

    /** converge_model_info{name, version} = 1 for the active model only. */
    private synchronized void publishModelInfo(ModelHandle m) {
        if (modelInfo != null) {
            metrics.remove(modelInfo);
        }
        modelInfo = Gauge.builder("converge.model.info", () -> 1).tag("name", m.name())
                .tag("version", Integer.toString(m.version())).register(metrics);
    }

    private final class AdminImpl implements ModelAdmin {
        @Override
        public Future<JsonObject> activate(int version) {
            return PredictionServer.this.activate(version);
        }

        @Override
        public Future<JsonObject> rollback() {
            ModelHandle back = slot.rollback();
            if (back == null) {
                return Future.failedFuture(new IllegalStateException("there is no previous model to roll back to"));
            }
            path.modelChanged(back.p90Micros() * 1000);
            publishModelInfo(back);
            LOG.info("rolled back to {} v{}", back.name(), back.version());
            return Future.succeededFuture(new JsonObject().put("active", back.version())
                    .put("previous", slot.previous().version()));
        }

        @Override
        public Readiness readiness() {
            return PredictionServer.this.readiness();
        }

        @Override
        public Future<JsonObject> driftNow(int windowMinutes) {
            return runDrift(windowMinutes);
        }

        @Override
        public Future<JsonObject> promote(int version, String actor, String reason) {
            return loader.executeBlocking(() -> modelLoader.registry().promote(config.model(), version, actor, reason),
                    true).map(e -> new JsonObject().put("model", e.name()).put("version", e.version())
                    .put("event", e.type().wireName()).put("actor", e.actor()).put("reason", e.reason()));
        }

        @Override
        public Future<JsonObject> setShare(int version, double share, String actor, String reason) {
            return loader.executeBlocking(() -> {
                dev.converge.registry.ModelRegistry registry = modelLoader.registry();
                dev.converge.registry.Deployment d = registry.deployment(config.model());
                dev.converge.registry.Deployment.Challenger c = d.challenger(version).orElseThrow(() ->
                        new IllegalArgumentException("v" + version + " is not a challenger of '" + config.model()
                                + "' (start an experiment first: converge experiment start)"));
                return registry.deploy(config.model(), d.replacing(c.withShare(share)), d.allowPinning(), actor,
                        reason, d.id()).orElseThrow(() -> new IllegalStateException("the deployment changed"
                        + " meanwhile; read it again"));
            }, true).map(d -> new JsonObject().put("deployment", d.id()).put("challengers",
                    new io.vertx.core.json.JsonArray(d.challengers().stream().map(c -> new JsonObject()
                            .put("version", c.version()).put("mode", c.mode().wireName()).put("share", c.share()))
                            .toList())));
        }
    }

    private volatile boolean warmedUp;

    /**
     * The first model's warm-up, before the server says it is ready (issue: the first requests to a fresh server
     * ran into its JIT and stalled). About half a second; what it cost is logged.
     */
    private Future<JsonObject> warmUp() {
        ModelHandle m = slot.active();
        notReadyReason.set(Readiness.WARMING);
        long t0 = System.nanoTime();
        return path.warmUp(m, 500, 20_000).map(v -> {
            warmedUp = true;
            predictionLog.accept();
            notReadyReason.set(null);
            LOG.info("prediction path warmed up in {} ms", (System.nanoTime() - t0) / 1_000_000);
            return new JsonObject();
        });
    }

    /** Whether the server takes traffic, and with which model, or why not. */
    public Readiness readiness() {
        ModelHandle m = slot.active();
        if (m != null && warmedUp && !deploymentFollowed) {
            return Readiness.notReady(Readiness.CHALLENGERS);
        }
        return m == null || !warmedUp ? Readiness.notReady(notReadyReason.get())
                : Readiness.ready(m.name(), m.version(), m.inline(), m.p90Micros(), path.cacheDecision(m));
    }

    /**
     * Completes with the readiness once the first load has ended (verified, or refused with its reason), or after
     * {@code timeout} with the readiness then; never fails. Polls in-process: no HTTP.
     */
    public Future<Readiness> awaitReady(java.time.Duration timeout) {
        io.vertx.core.Promise<Readiness> done = io.vertx.core.Promise.promise();
        long deadline = System.nanoTime() + timeout.toNanos();
        vertx.setPeriodic(0, 20, id -> {
            Readiness r = readiness();
            if (!r.loading() || System.nanoTime() >= deadline) {
                vertx.cancelTimer(id);
                done.tryComplete(r);
            }
        });
        return done.future();
    }

    /** The production routes as OpenAPI paths ({@code :version} as {@code {version}}). */
    public java.util.Set<String> routes() {
        java.util.Set<String> out = new java.util.TreeSet<>();
        for (io.vertx.ext.web.Route r : new HttpApi(new HttpApi.Shared(config, shared.service(),
                shared.graphql(), shared.feedback(), metrics, shared.admin(), shared.loopLag(), shared.dashboard(),
                shared.similarity(), null)).router(vertx).getRoutes()) {
            if (r.getPath() != null && r.methods() != null && !r.methods().isEmpty()) { // endpoints, not middleware
                out.add(r.getPath().replaceAll(":([A-Za-z_]+)", "{$1}"));
            }
        }
        return out;
    }

    public int port() {
        return port;
    }

    /**
     * A GraphQL endpoint (POST body handler) over this server's prediction path with some resolvers replaced by
     * {@code Type.field}: for tests of what the production schema must not do (a resolver without a loader).
     */
    public io.vertx.core.Handler<io.vertx.ext.web.RoutingContext> graphQlWith(java.util.Map<String,
            java.util.function.Function<dev.converge.serve.impl.GraphStore, graphql.schema.DataFetcher<?>>> overrides) {
        return dev.converge.serve.impl.GraphQlRoutes.handler(path.graphQl(config, overrides));
    }

    /** The registry id of the deployment this server routes by (0: the model never had one). */
    public long deploymentId() {
        return path.deploymentId();
    }

    public ModelHandle activeModel() {
        return slot.active();
    }

    public PrometheusMeterRegistry metrics() {
        return metrics;
    }

    /** Stops listening and serving; closing Vert.x closes the servers, the pool and the subscriber with it. */
    public Future<Void> close() {
        subscriber.reconnectPolicy(retries -> -1L);
        path.close();
        predictionLog.close(); // writes what is buffered first
        alerts.close();
        if (retrainer != null) {
            retrainer.close();
        }
        return vertx.close();
    }

    /**
     * The read replica at {@code url}, as the primary's user and with its password unless the URL names its own:
     * a user or password in the replica's URL is the replica's (the primary's would otherwise win in
     * {@link #pgOptions}, which lets a URL's credentials stand only where none were configured).
     */
    static PgEndpoint replicaEndpoint(String url, PgEndpoint primary) {
        String query = URI.create(url.substring("jdbc:".length())).getQuery();
        java.util.Set<String> named = new java.util.HashSet<>();
        if (query != null) {
            for (String kv : query.split("&")) {
                named.add(kv.split("=", 2)[0]);
            }
        }
        return new PgEndpoint(url, named.contains("user") ? null : primary.user(),
                named.contains("password") ? null : primary.password(), primary.schema());
    }

    static PgConnectOptions pgOptions(PgEndpoint db) {
        URI uri = URI.create(db.url().substring("jdbc:".length()));
        PgConnectOptions o = new PgConnectOptions().setHost(uri.getHost())
                .setPort(uri.getPort() < 0 ? 5432 : uri.getPort()).setDatabase(uri.getPath().substring(1))
                .setUser(db.user() != null ? db.user() : "postgres").setCachePreparedStatements(true)
                .setPipeliningLimit(16);
        if (db.password() != null) {
            o.setPassword(db.password());
        }
        if (uri.getQuery() != null) {
            for (String kv : uri.getQuery().split("&")) {
                String[] p = kv.split("=", 2);
                if (p.length == 2 && p[0].equals("user") && db.user() == null) {
                    o.setUser(p[1]);
                } else if (p.length == 2 && p[0].equals("password") && db.password() == null) {
                    o.setPassword(p[1]);
                } else if (p.length == 2 && p[0].equals("currentSchema")) {
                    o.addProperty("search_path", p[1]);
                } else if (p.length == 2 && p[0].equals("sslmode")) {
                    ssl(o, p[1], query(uri, "sslrootcert"));
                }
            }
        }
        if (db.schema() != null) {
            o.addProperty("search_path", db.schema());
        }
        return o;
    }

    /**
     * The JDBC URL's sslmode, with libpq's meaning, for the reactive client too (it was dropped: the registry read
     * over TLS while features went in plain text). require encrypts without verifying; verify-ca and verify-full
     * verify against sslrootcert (PEM), or the JDK's trusted roots when none is given; verify-full checks the host.
     */
    static void ssl(PgConnectOptions o, String mode, String rootCert) {
        io.vertx.pgclient.SslMode m = switch (mode) {
            case "disable" -> io.vertx.pgclient.SslMode.DISABLE;
            case "allow" -> io.vertx.pgclient.SslMode.ALLOW;
            case "prefer" -> io.vertx.pgclient.SslMode.PREFER;
            case "require" -> io.vertx.pgclient.SslMode.REQUIRE;
            case "verify-ca" -> io.vertx.pgclient.SslMode.VERIFY_CA;
            case "verify-full" -> io.vertx.pgclient.SslMode.VERIFY_FULL;
            default -> throw new IllegalArgumentException("sslmode in the database URL must be one of disable, allow,"
                    + " prefer, require, verify-ca, verify-full; was '" + mode + "'");
        };
        o.setSslMode(m);
        io.vertx.core.net.ClientSSLOptions tls = new io.vertx.core.net.ClientSSLOptions();
        if (m == io.vertx.pgclient.SslMode.VERIFY_CA || m == io.vertx.pgclient.SslMode.VERIFY_FULL) {
            if (rootCert != null) {
                tls.setTrustOptions(new io.vertx.core.net.PemTrustOptions().addCertPath(rootCert));
            }
            tls.setHostnameVerificationAlgorithm(m == io.vertx.pgclient.SslMode.VERIFY_FULL ? "HTTPS" : "");
        } else if (m != io.vertx.pgclient.SslMode.DISABLE) {
            tls.setTrustAll(true).setHostnameVerificationAlgorithm(""); // libpq: encrypted, not verified
        }
        o.setSslOptions(tls);
    }

    private static String query(URI uri, String key) {
        for (String kv : uri.getQuery().split("&")) {
            String[] p = kv.split("=", 2);
            if (p.length == 2 && p[0].equals(key)) {
                return java.net.URLDecoder.decode(p[1], java.nio.charset.StandardCharsets.UTF_8);
            }
        }
        return null;
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (java.io.IOException e) {
            throw new IllegalStateException("no free port", e);
        }
    }
}
