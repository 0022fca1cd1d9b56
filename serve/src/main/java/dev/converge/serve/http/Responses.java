package dev.converge.serve.http;

import dev.converge.serve.grpc.Grpc;
import dev.converge.serve.resilience.RefusalHold;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/** Sends JSON responses, each at most once: a response already ended is left alone. */
public final class Responses {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Responses.class);
    private Responses() {}

    /**
     * Parses the body as JSON and passes it on; answers 400 when there is none ({@code empty_body}) or it is not
     * JSON ({@code malformed_json}). Every JSON route reads its body through here.
     */
    public static void withJsonBody(RoutingContext ctx, java.util.function.Consumer<Object> next) {
        io.vertx.core.buffer.Buffer buf = ctx.body().buffer();
        if (buf == null || buf.length() == 0) {
            error(ctx, 400, "empty_body", "the request body must be a JSON object");
            return;
        }
        Object body;
        try {
            body = io.vertx.core.json.Json.decodeValue(buf);
        } catch (io.vertx.core.json.DecodeException e) {
            error(ctx, 400, "malformed_json", "the body is not valid JSON: " + e.getMessage());
            return;
        }
        next.accept(body);
    }

    public static void json(RoutingContext ctx, int status, JsonObject body) {
        if (ctx.response().ended()) {
            return;
        }
        json(ctx, status, body.encode());
    }

    /**
     * A body already encoded as JSON text. A gRPC call ({@link Grpc#is}) that reaches here is being refused (by the
     * router, admission, access control or a route): it gets the matching gRPC status and the body's message.
     */
    public static void json(RoutingContext ctx, int status, String encoded) {
        if (ctx.response().ended()) {
            return;
        }
        if (status >= 300 && Grpc.is(ctx)) {
            io.vertx.core.json.JsonObject o = new io.vertx.core.json.JsonObject(encoded);
            Object message = o.getValue("message") instanceof String m ? m : o.getValue("error");
            Grpc.refuse(ctx, Grpc.status(status), String.valueOf(message));
            return;
        }
        ctx.response().setStatusCode(status).putHeader(CONTENT_TYPE, APPLICATION_JSON).end(encoded);
    }

    private static final CharSequence CONTENT_TYPE = io.vertx.core.http.HttpHeaders.createOptimized("content-type");
    private static final CharSequence APPLICATION_JSON = io.vertx.core.http.HttpHeaders.createOptimized(
            "application/json");

    /**
     * 500 for a failure of ours: the body says so with a reference; the exception, which may carry internals (SQL,
     * class names, paths), goes to the log under that reference only.
     */
    static void internal(RoutingContext ctx) {
        Throwable t = ctx.failure();
        String kind = t == null ? "none" : t.getClass().getName() + ": " + String.valueOf(t.getMessage());
        long now = System.nanoTime();
        if (LOGGED.size() > 1000) { // messages that differ each time (ids in them): start over, bounded
            LOGGED.clear();
        }
        // A failure that repeats (a model failing on every request) is logged, with its stack trace, once a second;
        // the requests in between are answered with the logged one's reference, so the answer's promise holds.
        Logged last = LOGGED.get(kind);
        String ref;
        if (last == null || now - last.at >= 1_000_000_000L) {
            ref = Long.toHexString(java.util.concurrent.ThreadLocalRandom.current().nextLong() & 0xffffffffffffL);
            long repeats = last == null ? 0 : last.repeats.get();
            LOGGED.put(kind, new Logged(now, ref));
            LOG.error("internal error {} on {} {}{}", ref, ctx.request().method(), ctx.request().path(), repeats == 0
                    ? "" : " (" + repeats + " more of this kind were answered with reference " + last.ref + ")", t);
        } else {
            ref = last.ref;
            last.repeats.incrementAndGet();
        }
        error(ctx, 500, "internal", "an internal error occurred; the server's log has it under reference " + ref);
    }

    private record Logged(long at, String ref, java.util.concurrent.atomic.AtomicLong repeats) {
        Logged(long at, String ref) {
            this(at, ref, new java.util.concurrent.atomic.AtomicLong());
        }
    }

    /** The last logged failure of each kind. */
    private static final java.util.Map<String, Logged> LOGGED = new java.util.concurrent.ConcurrentHashMap<>();

    /** An error body ({@link PredictionJson#error}) with no per-field violations. */
    public static void error(RoutingContext ctx, int status, String code, String message) {
        json(ctx, status, PredictionJson.error(code, message, null));
    }

    /**
     * 503 with Retry-After: the server is at capacity, naming the bound. Held first for a random time between half
     * of {@code delayMillis} and all of it, so a client that retries at once is paced by the server instead of
     * flooding it with requests to refuse, and clients refused together do not come back together (a wave that
     * arrives at once is refused at once, while the queue it could have filled runs dry).
     */
    public static void overloaded(RoutingContext ctx, String why, long delayMillis) {
        if (delayMillis > 0) {
            long held = delayMillis / 2 + java.util.concurrent.ThreadLocalRandom.current().nextLong(delayMillis / 2 + 1);
            io.vertx.core.Context loop = io.vertx.core.Vertx.currentContext();
            if (loop != null) { // held on the loop's tick (RefusalHold), not by a timer of its own
                RefusalHold.of(loop).hold(held, () -> overloaded(ctx, why, 0));
            } else {
                ctx.vertx().setTimer(Math.max(1, held), id -> overloaded(ctx, why, 0));
            }
            return;
        }
        ctx.response().putHeader("Retry-After", "1");
        error(ctx, 503, "overloaded", "the server is at capacity (" + why + "); retry after 1 s");
    }
}
