package dev.converge.serve;

import dev.converge.registry.PgEndpoint;
import dev.converge.serve.access.AccessControl;
import dev.converge.serve.access.KeyRing;
import dev.converge.serve.alerts.Alerts;
import dev.converge.serve.config.ServeConfig;
import dev.converge.serve.dashboard.Dashboard;
import dev.converge.serve.dashboard.DashboardData;
import dev.converge.serve.dashboard.LiveSeries;
import dev.converge.serve.graphql.GraphQlEngine;
import dev.converge.serve.graphql.GraphQlRoutes;
import dev.converge.serve.graphql.GraphStore;
import dev.converge.serve.http.HttpApi;
import dev.converge.serve.model.ModelHandle;
import dev.converge.serve.model.ModelLoader;
import dev.converge.serve.model.ModelSlot;
import dev.converge.serve.model.Readiness;
import dev.converge.serve.module.ServeModule;
import dev.converge.serve.monitor.DriftSchedule;
import dev.converge.serve.monitor.FeedbackRoutes;
import dev.converge.serve.monitor.MetricHelp;
import dev.converge.serve.monitor.PredictionLog;
import dev.converge.serve.oip.OipModels;
import dev.converge.serve.oip.OipGrpc;
import dev.converge.serve.oip.OipRoutes;
import dev.converge.serve.path.PredictionPath;
import dev.converge.serve.pg.PgClients;
import dev.converge.serve.runtime.ModelRuntime;
import dev.converge.serve.runtime.ModelSet;
import dev.converge.serve.scoring.ScoringFaults;
import dev.converge.serve.similarity.SimilarityRoutes;
import graphql.schema.DataFetcher;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.WorkerExecutor;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.pubsub.PgSubscriber;
import io.vertx.sqlclient.Pool;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The prediction server: Vert.x HTTP on every event loop, scoring MOJOs with h2o-genmodel (no H2O cluster), online
 * features from PostgreSQL through the reactive client, models loaded from the registry and verified before they
 * take traffic, hot swaps that never drop a request, and Prometheus metrics.
 */
public final class PredictionServer {
    private static final Logger LOG = LoggerFactory.getLogger(PredictionServer.class);

    /** A registry read hanging longer fails, so one hung read cannot stall every later swap. */
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
    private final PrometheusMeterRegistry metrics = MetricHelp.registry();
    private final int port;
    private HttpApi.Shared shared;
    private PredictionPath.Common common;
    private PredictionPath path;
    private ModelRuntime runtime;
    private ModelSet models;
    /** The capabilities, in the order they are mounted and started (stopped in reverse). */
    private List<ServeModule> modules = List.of();

    private PredictionServer(ServeConfig config, PgEndpoint db, int port) {
        this.config = config;
        this.port = port;
        this.vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(config.eventLoops()));
        PgConnectOptions pgOptions = PgClients.options(db);
        this.pg = PgClients.pool(vertx, pgOptions, config, "converge-features");
        this.replica = PgClients.replica(vertx, config, db);
        this.subscriber = PgSubscriber.subscriber(vertx, pgOptions).reconnectPolicy(retries -> 1000L);
        this.loader = vertx.createSharedWorkerExecutor("converge-model-loader", 1);
        this.modelLoader = new ModelLoader(db.dataSource(REGISTRY_SOCKET_TIMEOUT_SECONDS),
                config.inlineScoringMaxMicros());
        this.registryDb = db.dataSource(10);
        this.predictionLog = config.predictionLog().on() ? new PredictionLog(config.predictionLog(),
                db.dataSource(REGISTRY_SOCKET_TIMEOUT_SECONDS), metrics) : PredictionLog.OFF;
        this.alerts = new Alerts(config.alertsWebhookUrl(), metrics);
        this.drift = new DriftSchedule(config.drift(), db, slot::active, alerts, metrics, vertx);
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
        ServeConfig bound;
        try {
            bound = withPatternsExpanded(config.freePortChosen(), db);
        } catch (RuntimeException e) {
            return Future.failedFuture(e);
        }
        PredictionServer s = new PredictionServer(bound, db, bound.port());
        AccessControl access;
        try {
            access = AccessControl.start(s.config, KeyRing.load(db, s.vertx, s.subscriber), s.metrics, s.vertx);
        } catch (RuntimeException e) { // refused to start (serve.auth), or the keys could not be read
            return s.vertx.close().transform(v -> Future.failedFuture(e));
        }
        return s.deploy(extraRoutes, faults, access).map(v -> s);
    }

    /**
     * {@code serve.models} may hold patterns ({@code credit_*}: {@code *} any characters): each is replaced by the
     * registry's models of that name that have a champion, in name order, when the server starts (a model registered
     * later needs a restart). A pattern that matches none refuses the start, naming the models there are.
     */
    static ServeConfig withPatternsExpanded(ServeConfig config, PgEndpoint db) {
        if (config.models().stream().noneMatch(n -> n.contains("*"))) {
            return config;
        }
        java.util.List<String> champions;
        try {
            dev.converge.registry.ModelRegistry registry = new dev.converge.registry.ModelRegistry(db.dataSource(2));
            champions = new java.util.ArrayList<>();
            for (String name : registry.list(null).stream().map(dev.converge.registry.ModelVersion::name).distinct()
                    .sorted().toList()) {
                if (registry.champion(name).isPresent()) {
                    champions.add(name);
                }
            }
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException("serve.models has patterns, and the registry could not be read to expand"
                    + " them: " + e.getMessage(), e);
        }
        java.util.LinkedHashSet<String> out = new java.util.LinkedHashSet<>();
        for (String n : config.models()) {
            if (!n.contains("*")) {
                out.add(n);
                continue;
            }
            java.util.regex.Pattern p = java.util.regex.Pattern.compile(java.util.Arrays.stream(n.split("\\*", -1))
                    .map(java.util.regex.Pattern::quote).collect(java.util.stream.Collectors.joining(".*")));
            List<String> matched = champions.stream().filter(c -> p.matcher(c).matches()).toList();
            if (matched.isEmpty()) {
                throw new IllegalArgumentException("serve.models: '" + n + "' matches no model with a champion; the"
                        + " registry's models with one are " + champions);
            }
            out.addAll(matched);
        }
        List<String> names = List.copyOf(out);
        String first = names.get(0);
        LOG.info("serving {} (serve.models {} expanded from the registry)", names, config.models());
        return config.toBuilder().model(config.model().contains("*") ? first : config.model()).models(names).build();
    }

    private Future<Void> deploy(Consumer<Router> extraRoutes, ScoringFaults faults, AccessControl access) {
        common = PredictionPath.common(vertx, config, pg, replica, metrics, alerts, faults);
        List<ModelRuntime> runtimes = new java.util.ArrayList<>();
        for (String name : config.models()) { // the default model first: drift, GraphQL and the dashboard are its
            ModelSlot s = runtimes.isEmpty() ? slot : new ModelSlot();
            runtimes.add(new ModelRuntime(name, new ModelRuntime.Parts(vertx, loader, modelLoader, s,
                    PredictionPath.build(common, name, s, predictionLog), runtimes.isEmpty() ? drift : null, alerts,
                    predictionLog, metrics)));
        }
        models = new ModelSet(runtimes);
        runtime = models.defaultModel();
        path = runtime.path();
        long shedDelay = config.resilience().shedDelayMillis();
        OipRoutes oip = new OipRoutes(OipModels.of(models.names(), name -> models.find(name).map(r -> OipModels.served(
                r::active, r::readiness, r.path().service())), () -> models.readiness().ready()),
                OipRoutes.version(), config.batchMaxRows(), shedDelay);
        modules = List.of(
                drift,
                new GraphQlRoutes(graphql.future()),
                new SimilarityRoutes(path.similarity(), shedDelay),
                new FeedbackRoutes(path.feedback()),
                new Dashboard(new LiveSeries(metrics), new DashboardData(registryDb, config.model(),
                        config.drift().psiWarn(), config.drift().psiAlert()), config.model(), runtime::servedJson),
                oip,
                new OipGrpc(oip));
        modules.forEach(m -> runtime.onModelChanged(m::modelChanged));
        shared = new HttpApi.Shared(config, path.service(), metrics, runtime, common.loopLag(), modules, extraRoutes,
                access, HttpApi.models(models::readiness, models::describe, name -> models.find(name)
                        .map(r -> r.path().service()), models::names));
        return vertx.deployVerticle(() -> new HttpApi(shared), new DeploymentOptions().setInstances(config.eventLoops()))
                .compose(id -> PgClients.warm(pg, config.pgPoolSize(), 3))
                .compose(v -> path.warmCache().recover(e -> {
                    LOG.warn("could not warm the Redis connections: {}", e.getMessage());
                    return Future.succeededFuture();
                }))
                .onSuccess(v -> {
                    modules.forEach(m -> m.start(vertx).onFailure(e -> LOG.error("module {} did not start: {}",
                            m.name(), e.toString())));
                    LOG.info("converge serving {} on {}:{} ({} event loops)", models.names(), config.host(), port,
                            config.eventLoops());
                    models.start(subscriber, config.latency().intervalSeconds() * 1000L).onComplete(ar ->
                            GraphQlRoutes.buildOnWorker(vertx, () -> path.graphQl(config, Map.of()), graphql));
                });
    }

    /** The GraphQL engine, built once the first load has ended (GraphQlRoutes.buildOnWorker). */
    private final Promise<GraphQlEngine> graphql = Promise.promise();

    /** The models served, by name. */
    public ModelSet models() {
        return models;
    }

    /** The default model's runtime: its slot, loads and swaps, champion follower and readiness. */
    public ModelRuntime runtime() {
        return runtime;
    }

    /** Whether the server takes traffic, and with which model, or why not. */
    public Readiness readiness() {
        return models.readiness();
    }

    /**
     * Completes with the readiness once the first load has ended (verified, or refused with its reason), or after
     * {@code timeout} with the readiness then; never fails. Polls in-process: no HTTP.
     */
    public Future<Readiness> awaitReady(Duration timeout) {
        return runtime.awaitReady(timeout);
    }

    /** The production routes as OpenAPI paths ({@code :version} as {@code {version}}). */
    public Set<String> routes() {
        return new HttpApi(new HttpApi.Shared(config, shared.service(), metrics, shared.admin(), shared.loopLag(),
                modules, null, shared.access(), shared.models())).paths(vertx);
    }

    public int port() {
        return port;
    }

    /**
     * A GraphQL endpoint (POST body handler) over this server's prediction path with some resolvers replaced by
     * {@code Type.field}: for tests of what the production schema must not do (a resolver without a loader).
     */
    public Handler<RoutingContext> graphQlWith(Map<String, Function<GraphStore, DataFetcher<?>>> overrides) {
        return GraphQlRoutes.handler(path.graphQl(config, overrides));
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
        if (models != null) {
            models.close();
            common.close();
        }
        predictionLog.close(); // writes what is buffered first
        alerts.close();
        return vertx.close();
    }
}
