package dev.converge.serve.graphql;

import dev.converge.serve.access.AccessControl;
import dev.converge.serve.http.Responses;
import dev.converge.serve.module.ServeModule;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.graphql.GraphiQLHandler;
import io.vertx.ext.web.handler.graphql.GraphiQLHandlerOptions;
import java.util.Map;

/**
 * GraphQL over HTTP: {@code POST /graphql} with {@code {"query", "operationName", "variables", "extensions"}}
 * (admitted like /v1 requests), the schema as SDL at {@code GET /graphql/schema}, and GraphiQL at
 * {@code /graphql/ui/}, its assets served from the jar. A request that asks for
 * {@code "extensions": {"statements": true}} gets the SQL statements it caused in its answer's extensions
 * ({@code converge check-dataloader} reads them).
 */
public final class GraphQlRoutes implements ServeModule {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(GraphQlRoutes.class);

    private final io.vertx.core.Future<GraphQlEngine> engine;

    /** @param engine completes when the engine is built; requests before then wait for it */
    public GraphQlRoutes(io.vertx.core.Future<GraphQlEngine> engine) {
        this.engine = engine;
    }

    /** The POST handler alone, over {@code engine}. */
    public static io.vertx.core.Handler<RoutingContext> handler(GraphQlEngine engine) {
        return new GraphQlRoutes(io.vertx.core.Future.succeededFuture(engine))::handle;
    }

    /**
     * Builds the engine on a worker into {@code into}: its schema costs about half a second of one core at start
     * (graphql-java's parsing and wiring), which readiness need not wait for; requests that come before it is built
     * wait for it.
     */
    public static void buildOnWorker(Vertx vertx, java.util.function.Supplier<GraphQlEngine> build,
                                     io.vertx.core.Promise<GraphQlEngine> into) {
        long t0 = System.nanoTime();
        vertx.executeBlocking(build::get, false).onComplete(ar -> {
            if (ar.succeeded()) {
                LOG.debug("GraphQL engine built in {} ms", (System.nanoTime() - t0) / 1_000_000);
                into.tryComplete(ar.result());
            } else {
                LOG.error("could not build the GraphQL engine: {}", ar.cause().toString());
                into.tryFail(ar.cause());
            }
        });
    }

    @Override
    public String name() {
        return "graphql";
    }

    @Override
    public void mount(Vertx vertx, Router router) {
        router.post("/graphql").handler(this::handle);
        router.get("/graphql/schema").handler(ctx -> engine.onSuccess(e -> ctx.response()
                .putHeader("content-type", "application/graphql; charset=utf-8").end(e.sdl())).onFailure(ctx::fail));
        // HEAD as GET (monitors and link checkers send it; GraphiQL's own router answered 405): the server sends
        // the headers and no body.
        router.head("/graphql/ui*").handler(ctx -> ctx.reroute(HttpMethod.GET, ctx.request().uri()));
        router.route("/graphql/ui*").subRouter(GraphiQLHandler.create(vertx, new GraphiQLHandlerOptions()
                .setEnabled(true).setGraphQLUri("/graphql")).router());
    }

    /** POST /graphql. */
    void handle(RoutingContext ctx) {
        Responses.withJsonBody(ctx, body -> {
            if (!(body instanceof JsonObject o)) {
                Responses.error(ctx, 400, "bad_request", "the body must be a JSON object with a \"query\"");
                return;
            }
            String problem = shapeProblem(o);
            if (problem != null) {
                Responses.error(ctx, 400, "bad_request", problem);
                return;
            }
            JsonObject variables = o.getJsonObject("variables");
            JsonObject extensions = o.getJsonObject("extensions");
            boolean tally = extensions != null && Boolean.TRUE.equals(extensions.getValue("statements"));
            Long t0 = ctx.get("t0");
            engine.compose(e -> e.execute(ctx.vertx(), o.getString("query"), o.getString("operationName"),
                            variables == null ? Map.of() : variables.getMap(), tally,
                            t0 == null ? System.nanoTime() : t0, ctx.get(AccessControl.PRINCIPAL)))
                    .onSuccess(a -> Responses.json(ctx, a.status(), a.body()))
                    .onFailure(ctx::fail);
        });
    }

    private static String shapeProblem(JsonObject o) {
        for (String key : o.fieldNames()) {
            if (!Map.of("query", 1, "operationName", 1, "variables", 1, "extensions", 1).containsKey(key)) {
                return "unknown key '" + key + "'; a GraphQL request has query, operationName, variables and"
                        + " extensions";
            }
        }
        if (!(o.getValue("query") instanceof String)) {
            return "\"query\" must be a string holding the GraphQL document";
        }
        if (o.getValue("operationName") != null && !(o.getValue("operationName") instanceof String)) {
            return "\"operationName\" must be a string";
        }
        if (o.getValue("variables") != null && !(o.getValue("variables") instanceof JsonObject)) {
            return "\"variables\" must be an object";
        }
        if (o.getValue("extensions") != null && !(o.getValue("extensions") instanceof JsonObject)) {
            return "\"extensions\" must be an object";
        }
        return null;
    }
}
