package dev.converge.serve.dashboard;

import dev.converge.serve.http.Responses;
import dev.converge.serve.module.ServeModule;
import dev.converge.serve.resilience.Failures;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.StaticHandler;
import java.util.concurrent.Callable;
import java.util.function.Supplier;

/**
 * The dashboard at {@code /ui}: a static page (in the jar, uPlot from its WebJar, nothing fetched elsewhere) reading
 * four JSON endpoints of the server. {@code /ui/api/live}: the per-second series of {@link LiveSeries} and the model
 * as served, encoded once a second whoever asks; {@code /ui/api/model}, {@code /ui/api/drift} and
 * {@code /ui/api/training}: the registry, the latest drift run and the last sweeps, read on a worker and kept for a
 * few seconds, so any number of viewers costs the database one read per endpoint and period. Read-only: the page
 * changes state only through the admin routes, with the admin token.
 */
public final class Dashboard implements ServeModule {
    /** The WebJar's path of uPlot's distribution, at the version the build bundled (the POM's uplot.version). */
    static final String UPLOT = "META-INF/resources/webjars/uplot/" + webjarVersion("uplot") + "/dist";

    private static String webjarVersion(String artifact) {
        String path = "META-INF/maven/org.webjars.npm/" + artifact + "/pom.properties";
        try (java.io.InputStream in = Dashboard.class.getClassLoader().getResourceAsStream(path)) {
            if (in == null) {
                throw new IllegalStateException("the " + artifact + " WebJar is not on the class path (" + path + ")");
            }
            java.util.Properties p = new java.util.Properties();
            p.load(in);
            return p.getProperty("version");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private final LiveSeries live;
    private final DashboardData data;
    private final String model;
    private final Supplier<JsonObject> served;
    private volatile Buffer liveJson = new JsonObject().toBuffer();
    private final Cached modelJson = new Cached(2_000);
    private final Cached driftJson = new Cached(5_000);
    private final Cached trainingJson = new Cached(10_000);

    public Dashboard(LiveSeries live, DashboardData data, String model, Supplier<JsonObject> served) {
        this.live = live;
        this.data = data;
        this.model = model;
        this.served = served;
    }

    @Override
    public String name() {
        return "dashboard";
    }

    /** Samples the meters once a second and encodes the live answer then. */
    @Override
    public Future<Void> start(Vertx vertx) {
        timer = vertx.setPeriodic(1000, 1000, id -> {
            live.sample(System.currentTimeMillis());
            liveJson = live.json().put("served", served.get()).put("model", model).toBuffer();
        });
        this.vertx = vertx;
        return Future.succeededFuture();
    }

    @Override
    public Future<Void> stop() {
        if (vertx != null) {
            vertx.cancelTimer(timer);
        }
        return Future.succeededFuture();
    }

    private Vertx vertx;
    private long timer;

    @Override
    public void mount(Vertx vertx, Router router) {
        router.get("/ui").handler(ctx -> {
            if (ctx.request().path().equals("/ui")) {
                ctx.redirect("/ui/");
            } else {
                ctx.next();
            }
        });
        // GET and HEAD alike: monitors and link checkers send HEAD (it was a 405).
        router.route("/ui/vendor/*").method(HttpMethod.GET).method(HttpMethod.HEAD).handler(StaticHandler.create(UPLOT).setCachingEnabled(true).setMaxAgeSeconds(86400));
        router.get("/ui/api/live").handler(ctx -> ctx.response().putHeader("content-type", "application/json")
                .putHeader("cache-control", "no-store").end(liveJson));
        router.get("/ui/api/model").handler(ctx -> reply(ctx, modelJson.get(vertx, data::readModel)));
        router.get("/ui/api/drift").handler(ctx -> reply(ctx, driftJson.get(vertx, data::readDrift)));
        router.get("/ui/api/training").handler(ctx -> reply(ctx, trainingJson.get(vertx, data::readTraining)));
        router.route("/ui/*").method(HttpMethod.GET).method(HttpMethod.HEAD).handler(StaticHandler.create("ui").setCachingEnabled(false).setIndexPage("index.html"));
    }

    private static void reply(io.vertx.ext.web.RoutingContext ctx, Future<JsonObject> f) {
        f.onComplete(ar -> {
            if (ar.succeeded()) {
                ctx.response().putHeader("content-type", "application/json").putHeader("cache-control", "no-store")
                        .end(ar.result().toBuffer());
            } else {
                Responses.error(ctx, 503, "unavailable", "the registry could not be read: "
                        + Failures.describe(ar.cause()));
            }
        });
    }

    /** One value per period, read once however many ask (concurrent askers share the read). */
    private static final class Cached {
        private final long periodMillis;
        private Future<JsonObject> value;
        private long readAt;

        Cached(long periodMillis) {
            this.periodMillis = periodMillis;
        }

        synchronized Future<JsonObject> get(Vertx vertx, Callable<JsonObject> read) {
            long now = System.currentTimeMillis();
            if (value == null || now - readAt > periodMillis && value.isComplete()) {
                readAt = now;
                Promise<JsonObject> p = Promise.promise();
                value = p.future();
                vertx.executeBlocking(read, false).onComplete(p);
            }
            return value;
        }
    }
}
