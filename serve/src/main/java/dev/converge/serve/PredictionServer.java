package dev.converge.serve;

import dev.converge.registry.ChampionNotice;
import dev.converge.registry.ModelRegistry;
import dev.converge.registry.PgEndpoint;
import dev.converge.serve.alerts.Alerts;
import dev.converge.serve.config.ServeConfig;
import dev.converge.serve.experiment.DeploymentFollower;
import dev.converge.serve.http.HttpApi;
import dev.converge.serve.http.ModelAdmin;
import dev.converge.serve.model.ModelHandle;
import dev.converge.serve.model.ModelLoader;
import dev.converge.serve.model.ModelSlot;
import dev.converge.serve.model.Readiness;
import dev.converge.serve.monitor.DriftSchedule;
import dev.converge.serve.monitor.PredictionLog;
import dev.converge.serve.path.PredictionPath;
import dev.converge.serve.pg.PgClients;
import dev.converge.serve.scoring.ScoringFaults;
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
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.pubsub.PgSubscriber;
import io.vertx.sqlclient.Pool;
import java.net.ServerSocket;
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
    private final DriftSchedule drift;
    private final Alerts alerts;
    private final PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final AtomicReference<String> notReadyReason = new AtomicReference<>(Readiness.LOADING);
    private final int port;
    private HttpApi.Shared shared;
    private PredictionPath path;

    private PredictionServer(ServeConfig config, PgEndpoint db, int port) {
        this.config = config;
        this.port = port;
        metrics.config().meterFilter(new dev.converge.serve.monitor.MetricHelp());
        this.vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(config.eventLoops()));
        PgConnectOptions pgOptions = PgClients.options(db);
        this.pg = PgClients.pool(vertx, pgOptions, config, "converge-features");
        // Online reads from a hot standby when one is named: a pool of its own, the same size and wait bound.
        this.replica = config.onlineReadUrl() == null ? null : PgClients.pool(vertx,
                PgClients.options(PgClients.replicaEndpoint(config.onlineReadUrl(), db)), config,
                "converge-features-replica");
        this.subscriber = PgSubscriber.subscriber(vertx, pgOptions).reconnectPolicy(retries -> 1000L);
        this.loader = vertx.createSharedWorkerExecutor("converge-model-loader", 1);
        this.modelLoader = new ModelLoader(db.dataSource(REGISTRY_SOCKET_TIMEOUT_SECONDS),
                config.inlineScoringMaxMicros());
        this.registryDb = db.dataSource(10);
        this.predictionLog = config.predictionLog().on() ? new PredictionLog(config.predictionLog(),
                db.dataSource(REGISTRY_SOCKET_TIMEOUT_SECONDS), metrics) : PredictionLog.OFF;
        this.alerts = new Alerts(config.alertsWebhookUrl(), metrics);
        this.drift = new DriftSchedule(config.drift(), db, slot::active, alerts, metrics, vertx);
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
        deployments = new DeploymentFollower(config.model(), loader, modelLoader, alerts, path.canaryJudge(),
                slot::active, path::deploy, () -> followChampion("canary decision"));
        long shedDelay = config.resilience().shedDelayMillis();
        modules = java.util.List.of(
                drift,
                new dev.converge.serve.graphql.GraphQlRoutes(graphql.future()),
                new dev.converge.serve.similarity.SimilarityRoutes(path.similarity(), shedDelay),
                new dev.converge.serve.monitor.FeedbackRoutes(path.feedback()),
                new dev.converge.serve.dashboard.Dashboard(new dev.converge.serve.dashboard.LiveSeries(metrics),
                        new dev.converge.serve.dashboard.DashboardData(registryDb, config.model(),
                                config.drift().psiWarn(), config.drift().psiAlert()), config.model(), this::servedJson));
        shared = new HttpApi.Shared(config, path.service(), metrics, new AdminImpl(), path.loopLag(), modules,
                extraRoutes);
        return vertx.deployVerticle(() -> new HttpApi(shared), new DeploymentOptions().setInstances(config.eventLoops()))
                .compose(id -> warmPool())
                .onSuccess(v -> {
                    modules.forEach(m -> m.start(vertx).onFailure(e -> LOG.error("module {} did not start: {}",
                            m.name(), e.toString())));
                    LOG.info("converge serving on {}:{} ({} event loops)", config.host(), port, config.eventLoops());
                    activate(null).onSuccess(a -> followed = a.getInteger("active")).onFailure(e -> {
                        notReadyReason.set(e.getMessage());
                        LOG.error("no model loaded: {}", e.getMessage());
                    }).onComplete(ar -> {
                        deployments.follow("start");
                        buildGraphQl();
                    });
                    listenForChampions();
                    vertx.setPeriodic(1000, 1000, id -> deployments.judgeCanary());
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
    private final io.vertx.core.Promise<dev.converge.serve.graphql.GraphQlEngine> graphql = io.vertx.core.Promise.promise();

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
            noticesSeen.incrementAndGet();
            ChampionNotice notice = ChampionNotice.decode(payload).orElse(null);
            if (notice == null || notice.model().equals(config.model())) {
                followChampion("notice '" + payload + "'");
            }
        });
        subscriber.connect().onFailure(e -> LOG.warn("LISTEN {} failed: {}; the champion is re-read every {} s until"
                + " it connects", ModelRegistry.CHANNEL, e.getMessage(), CHAMPION_POLL_MILLIS / 1000));
        championPolling(true);
    }

    private long championPoll = -1;

    /** Turns the periodic re-read on or off (tests: a reconnect must pick a change up without it). */
    synchronized void championPolling(boolean on) {
        if (championPoll >= 0) {
            vertx.cancelTimer(championPoll);
            championPoll = -1;
        }
        if (on) {
            championPoll = vertx.setPeriodic(CHAMPION_POLL_MILLIS, CHAMPION_POLL_MILLIS,
                    id -> followChampion("periodic check"));
        }
    }

    /** Champion notices received on the channel (tests: which notices the server has seen). */
    final java.util.concurrent.atomic.AtomicLong noticesSeen = new java.util.concurrent.atomic.AtomicLong();

    /**
     * Completes once at least {@code notices} notices have been received and the passes they started have ended,
     * with none pending (tests: "the last word wins" is then observable without sleeping, and without a pass of the
     * test's own that would do the server's work for it).
     */
    Future<Void> awaitFollowed(long notices) {
        io.vertx.core.Promise<Void> done = io.vertx.core.Promise.promise();
        vertx.setPeriodic(0, 20, id -> {
            if (noticesSeen.get() >= notices && !following.get() && !followAgain) {
                vertx.cancelTimer(id);
                done.tryComplete();
            }
        });
        return done.future();
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
        }).compose(v -> deployments.follow(why)).onComplete(ar -> {
            if (ar.failed()) {
                LOG.warn("could not re-read the champion of {} ({}): {}", config.model(), why, ar.cause().getMessage());
            }
            following.set(false);
            if (followAgain && following.compareAndSet(false, true)) {
                followPass("a notice during the last pass");
            }
        });
    }

    private DeploymentFollower deployments;
    /** The capabilities, in the order they are mounted and started (stopped in reverse). */
    private java.util.List<dev.converge.serve.module.ServeModule> modules = java.util.List.of();

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
            modules.forEach(m -> m.modelChanged(next));
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
            modules.forEach(m -> m.modelChanged(back));
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
            return drift.runNow(windowMinutes);
        }

        @Override
        public Future<JsonObject> promote(int version, String actor, String reason) {
            return loader.executeBlocking(() -> modelLoader.registry().promote(config.model(), version, actor, reason),
                    true).map(e -> new JsonObject().put("model", e.name()).put("version", e.version())
                    .put("event", e.type().wireName()).put("actor", e.actor()).put("reason", e.reason()));
        }

        @Override
        public Future<JsonObject> setShare(int version, double share, String actor, String reason) {
            return deployments.setShare(version, share, actor, reason);
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
        if (m != null && warmedUp && !deployments.followed()) {
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
        for (io.vertx.ext.web.Route r : new HttpApi(new HttpApi.Shared(config, shared.service(), metrics, shared.admin(),
                shared.loopLag(), modules, null)).router(vertx).getRoutes()) {
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
            java.util.function.Function<dev.converge.serve.graphql.GraphStore, graphql.schema.DataFetcher<?>>> overrides) {
        return dev.converge.serve.graphql.GraphQlRoutes.handler(path.graphQl(config, overrides));
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
        for (int i = modules.size() - 1; i >= 0; i--) {
            modules.get(i).stop();
        }
        path.close();
        predictionLog.close(); // writes what is buffered first
        alerts.close();
        return vertx.close();
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (java.io.IOException e) {
            throw new IllegalStateException("no free port", e);
        }
    }
}
