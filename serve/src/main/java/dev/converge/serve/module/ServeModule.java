package dev.converge.serve.module;

import dev.converge.serve.model.ModelHandle;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.ext.web.Router;

/**
 * What a capability of the server contributes, through one interface: its routes, its start and stop, and what it
 * does when the served model changes. The composition root ({@code PredictionServer}) builds the modules, the HTTP
 * API mounts every module's routes on each event loop's router in the order given, the root starts them in that
 * order once the server listens and stops them in reverse. A capability that has no routes, or nothing to start,
 * leaves that method as it is. Adding a capability: docs/architecture.md, "Adding a capability".
 */
public interface ServeModule {
    /** A short name for logs and errors ("graphql", "feedback"). */
    String name();

    /** Mounts this capability's routes; called once per event loop, each with its own router. */
    default void mount(Vertx vertx, Router router) {
    }

    /** Starts what runs in the background (timers, subscriptions); called once, after the server listens. */
    default Future<Void> start(Vertx vertx) {
        return Future.succeededFuture();
    }

    /** The served model changed (a load, a swap, a rollback); called on the thread that made the change. */
    default void modelChanged(ModelHandle active) {
    }

    /** Stops what {@link #start} started; called once, in the reverse order of starting. */
    default Future<Void> stop() {
        return Future.succeededFuture();
    }
}
