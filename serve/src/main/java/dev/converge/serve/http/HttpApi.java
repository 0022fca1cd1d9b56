package dev.converge.serve.http;

import dev.converge.serve.access.AccessControl;
import dev.converge.serve.config.ClientSettings;
import dev.converge.serve.config.TlsSettings;
import dev.converge.serve.module.ModelAdmin;
import dev.converge.serve.config.ServeConfig;
import dev.converge.serve.model.Readiness;
import dev.converge.serve.module.ServeModule;
import dev.converge.serve.predict.PredictionOutcome;
import dev.converge.serve.predict.PredictionService;
import dev.converge.serve.resilience.LagProbe;
import dev.converge.serve.resilience.LoopLag;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * One event loop's HTTP server: request timing, admission once the body is read, the prediction routes, GraphQL,
 * health, metrics, the API description and the admin routes. It speaks HTTP only; predictions are the
 * {@link PredictionService}'s business.
 */
public final class HttpApi extends VerticleBase {
    /**
     * What every instance shares. {@code modules} add their routes, mounted in order after the prediction routes;
     * {@code extraRoutes} (tests only) may add routes, null in production.
     */
    public record Shared(ServeConfig config, PredictionService service, PrometheusMeterRegistry metrics,
                         ModelAdmin admin, LoopLag loopLag, List<ServeModule> modules, Consumer<Router> extraRoutes,
                         AccessControl access, Models models, AtomicLong bodyBudget) {
        public Shared(ServeConfig config, PredictionService service, PrometheusMeterRegistry metrics,
                      ModelAdmin admin, LoopLag loopLag, List<ServeModule> modules, Consumer<Router> extraRoutes,
                      AccessControl access, Models models) {
            this(config, service, metrics, admin, loopLag, List.copyOf(modules), extraRoutes, access, models,
                    new AtomicLong(config.clients().bodyBufferBytes()));
        }
    }

    /** The models served, as the routes find them by name; the default model's readiness is the server's. */
    public interface Models {
        /** The server's readiness: every model ready, else why not. */
        Readiness readiness();

        /** Each model's readiness, by name. */
        JsonObject describe();

        java.util.Optional<PredictionService> service(String name);

        List<String> names();
    }

    /** {@link Models} from its four parts. */
    public static Models models(java.util.function.Supplier<Readiness> readiness,
                                java.util.function.Supplier<JsonObject> describe,
                                java.util.function.Function<String, java.util.Optional<PredictionService>> service,
                                java.util.function.Supplier<List<String>> names) {
        return new Models() {
            @Override
            public Readiness readiness() {
                return readiness.get();
            }

            @Override
            public JsonObject describe() {
                return describe.get();
            }

            @Override
            public java.util.Optional<PredictionService> service(String name) {
                return service.apply(name);
            }

            @Override
            public List<String> names() {
                return names.get();
            }
        };
    }

    private final Shared shared;
    private HttpServer server;
    private LagProbe lag;
    private ClientGuard guard;

    public HttpApi(Shared shared) {
        this.shared = shared;
    }

    @Override
    public Future<?> start() {
        Router router = router(vertx);
        guard.start();
        lag = new LagProbe(Timer.builder("converge.eventloop.lag").publishPercentileHistogram()
                .register(shared.metrics()), Counter.builder("converge.eventloop.blocked")
                .description("ticks late by more than serve.lag_warn_ms").register(shared.metrics()),
                shared.config().lagWarnMillis(), shared.config().resilience().maxLoopLagMillis(), shared.loopLag());
        lag.start(vertx);
        ClientSettings clients = shared.config().clients();
        HttpServerOptions options = new HttpServerOptions().setIdleTimeout((int) clients.idleMillis())
                .setIdleTimeoutUnit(TimeUnit.MILLISECONDS)
                // HTTP/2 (gRPC): windows of 1 MiB, so that several requests of tens of KB in flight on one connection
                // are not held back by HTTP/2's default 64 KiB window waiting for updates
                .setHttp2ConnectionWindowSize(1 << 20)
                .setInitialSettings(new io.vertx.core.http.Http2Settings().setInitialWindowSize(1 << 20));
        TlsSettings tls = shared.config().tls();
        if (tls != null) { // HTTP/2 and HTTP/1.1 over TLS, chosen by ALPN
            options.setSsl(true).setUseAlpn(true).setKeyCertOptions(new io.vertx.core.net.PemKeyCertOptions()
                    .setCertPath(tls.certPath()).setKeyPath(tls.keyPath()));
        }
        server = vertx.createHttpServer(options);
        server.connectionHandler(guard::connected);
        return server.requestHandler(router).listen(shared.config().port(), shared.config().host());
    }

    /** The endpoints' paths as OpenAPI writes them ({@code :version} as {@code {version}}), middleware left out. */
    public java.util.Set<String> paths(Vertx vertx) {
        java.util.Set<String> out = new java.util.TreeSet<>();
        for (io.vertx.ext.web.Route r : router(vertx).getRoutes()) {
            if (r.getPath() != null && r.methods() != null && !r.methods().isEmpty()) {
                out.add(r.getPath().replaceAll(":([A-Za-z_]+)", "{$1}"));
            }
        }
        return out;
    }

    /** The routes. */
    public Router router(Vertx vertx) {
        ClientSettings clients = shared.config().clients();
        guard = new ClientGuard(vertx, clients.idleMillis(), clients.requestMillis(),
                shared.config().bodyLimitBytes(), clients.bodyBufferBytes(), shared.bodyBudget(), shared.metrics());
        Router router = Router.router(vertx);
        router.route().handler(this::timed);
        router.route().handler(BodyHandler.create(false).setBodyLimit(shared.config().bodyLimitBytes()));
        router.route().handler(ctx -> {
            guard.bodyArrived(ctx);
            ctx.next();
        });
        router.route().handler(shared.access()); // who may do what: before any route runs
        router.route("/v1/*").handler(this::admit);
        router.route("/v2/models/*").handler(ctx -> { // the Open Inference Protocol's infer routes
            if (ctx.request().method() == io.vertx.core.http.HttpMethod.POST) {
                admit(ctx);
            } else {
                ctx.next();
            }
        });
        router.post("/graphql").handler(this::admit);
        router.route("/inference.GRPCInferenceService/*").handler(ctx -> { // the gRPC twin of infer is admitted too
            if (ctx.request().path().endsWith("/ModelInfer")) {
                admit(ctx);
            } else {
                ctx.next();
            }
        });
        new PredictionRoutes(shared.service(), shared.models()::service, shared.models()::names,
                shared.config().resilience().shedDelayMillis()).mount(router);
        for (ServeModule m : shared.modules()) {
            m.mount(vertx, router);
        }
        router.get("/health/live").handler(ctx -> Responses.json(ctx, 200, new JsonObject().put("status", "up")));
        router.get("/health/ready").handler(ctx -> {
            Readiness r = shared.models().readiness();
            Responses.json(ctx, r.ready() ? 200 : 503, readinessJson(r).put("models", shared.models().describe())
                    .put("access", shared.access().mode().describe()));
        });
        // On a worker: a scrape formats every meter and its histogram buckets, 10-80 ms under load (scrape-lag.sh),
        // which on the event loop would hold every request behind it at each Prometheus scrape.
        router.get("/metrics").handler(ctx -> vertx.executeBlocking(() -> shared.metrics().scrape(), false)
                .onSuccess(text -> {
                    if (!ctx.response().closed()) { // the scraper may have given up meanwhile
                        ctx.response().putHeader("content-type", "text/plain; version=0.0.4; charset=utf-8").end(text);
                    }
                }).onFailure(ctx::fail));
        router.get("/openapi.json").handler(ctx -> Responses.json(ctx, 200, OpenApi.document()));
        new AdminRoutes(shared.admin(), shared.config().adminToken()).mount(router);
        if (shared.extraRoutes() != null) {
            shared.extraRoutes().accept(router);
        }
        router.errorHandler(413, ctx -> Responses.error(ctx, 413, "body_too_large", "the request body exceeds "
                + shared.config().bodyLimitBytes() + " bytes"));
        router.errorHandler(404, ctx -> Responses.error(ctx, 404, "not_found", "no route for "
                + ctx.request().method() + " " + ctx.request().path()));
        router.errorHandler(405, ctx -> Responses.error(ctx, 405, "method_not_allowed", ctx.request().method()
                + " is not allowed on " + ctx.request().path()));
        router.errorHandler(500, Responses::internal);
        return router;
    }

    /**
     * Records http.server.requests by route and status when the response has been written, and starts the
     * {@link ClientGuard}'s clock for the body.
     */
    private void timed(RoutingContext ctx) {
        long t0 = System.nanoTime();
        ctx.put("t0", t0);
        ctx.addBodyEndHandler(v -> timer(ctx.currentRoute() == null || ctx.currentRoute().getPath() == null
                ? "unmatched" : ctx.currentRoute().getPath(), ctx.response().getStatusCode())
                .record(System.nanoTime() - t0, TimeUnit.NANOSECONDS));
        if (guard.headersArrived(ctx)) {
            ctx.next();
        }
    }

    /** This loop's timers by route and status, so a request does not build and look one up in the registry. */
    private final java.util.Map<String, Timer[]> timers = new java.util.HashMap<>();

    private Timer timer(String route, int status) {
        Timer[] byStatus = timers.computeIfAbsent(route, r -> new Timer[600]);
        int i = status >= 100 && status < 600 ? status : 0;
        Timer t = byStatus[i];
        if (t == null) {
            t = Timer.builder("http.server.requests").tag("route", route).tag("status", Integer.toString(status))
                    .publishPercentileHistogram().register(shared.metrics());
            byStatus[i] = t;
        }
        return t;
    }

    /**
     * Admission, once the body has arrived (a client still sending holds no slot): 503 with Retry-After beyond the
     * bounds; an admitted request is released when it ends.
     */
    private void admit(RoutingContext ctx) {
        PredictionService.Admission admission = shared.service().admission();
        PredictionOutcome.Shed shed = admission.tryAdmit(lag.lagging());
        if (shed != null) {
            Responses.overloaded(ctx, shed.detail(), shared.config().resilience().shedDelayMillis());
            return;
        }
        ctx.addEndHandler(v -> admission.release());
        ctx.next();
    }

    static JsonObject readinessJson(Readiness r) {
        JsonObject o = new JsonObject().put("ready", r.ready());
        if (r.ready()) {
            o.put("model", new JsonObject().put("name", r.model()).put("version", r.version())
                    .put("scoring", r.scoring()).put("p90_us", r.p90Micros()).put("cache", r.cache()));
        } else {
            o.put("reason", r.reason());
        }
        return o;
    }

    @Override
    public Future<?> stop() {
        if (guard != null) {
            guard.stop();
        }
        return server == null ? Future.succeededFuture() : server.close();
    }
}
