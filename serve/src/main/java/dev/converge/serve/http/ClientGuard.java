package dev.converge.serve.http;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.RoutingContext;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Bounds what a slow or stalled client can hold, so that no number of them can starve the others:
 * <ul>
 *   <li>a connection must deliver the next request's headers within {@code idleMillis} of opening or of its
 *       previous response (a trickle of header bytes does not keep it open), else it is closed;</li>
 *   <li>a request's body must arrive within {@code requestMillis} of its headers, else it is answered 408 and its
 *       connection closed;</li>
 *   <li>the bodies being received at once hold at most {@code bufferBytes} (each reserves its declared length, or the
 *       body limit when it declares none), else the request is answered 503 before a byte of its body is read.</li>
 * </ul>
 * A request counts as in flight only once its body has arrived ({@link HttpApi}), so stalled clients never take the
 * slots of those whose requests are complete. One instance per event loop: its state is touched on that loop only,
 * except the buffer budget, which all loops share.
 */
final class ClientGuard {
    private static final String RESERVED = "converge.body.reserved";

    private final Vertx vertx;
    private final long idleMillis;
    private final long requestMillis;
    private final long bodyLimit;
    private final AtomicLong budget;
    private final long bufferBytes;
    private final Counter closedIdle;
    private final Counter timedOut;
    private final Counter refused;

    /** @param budget bytes of body buffer left, shared by every event loop; starts at {@code bufferBytes} */
    ClientGuard(Vertx vertx, long idleMillis, long requestMillis, long bodyLimit, long bufferBytes, AtomicLong budget,
                MeterRegistry metrics) {
        this.vertx = vertx;
        this.idleMillis = idleMillis;
        this.requestMillis = requestMillis;
        this.bodyLimit = bodyLimit;
        this.bufferBytes = bufferBytes;
        this.budget = budget;
        this.closedIdle = Counter.builder("converge.http.slow_clients").tag("outcome", "closed_waiting_for_headers")
                .description("connections and requests cut off for sending too slowly").register(metrics);
        this.timedOut = Counter.builder("converge.http.slow_clients").tag("outcome", "body_timeout_408")
                .description("connections and requests cut off for sending too slowly").register(metrics);
        this.refused = Counter.builder("converge.http.slow_clients").tag("outcome", "body_buffer_full_503")
                .description("connections and requests cut off for sending too slowly").register(metrics);
    }

    /** Requests whose body is still arriving, with their deadlines (nanos), in arrival order. */
    private final java.util.LinkedHashMap<RoutingContext, Long> bodies = new java.util.LinkedHashMap<>();
    /** Connections waiting for the next request's headers, with their deadlines (nanos). */
    private final java.util.HashMap<HttpConnection, Long> waitingSince = new java.util.HashMap<>();
    private long sweeper = -1;

    /**
     * Starts the sweep that enforces both deadlines: every tenth of the shorter bound (at
     * most 250 ms), rather than a timer per request, which cost 8% of a cheap request's time (measured with JFR).
     */
    void start() {
        long every = Math.max(10, Math.min(250, Math.min(idleMillis, requestMillis) / 10));
        sweeper = vertx.setPeriodic(every, every, id -> sweep(System.nanoTime()));
    }

    void stop() {
        if (sweeper >= 0) {
            vertx.cancelTimer(sweeper);
        }
    }

    private void sweep(long now) {
        for (var it = bodies.entrySet().iterator(); it.hasNext(); ) {
            var e = it.next();
            if (now - e.getValue() < 0) {
                break; // in arrival order: the rest are later
            }
            it.remove();
            RoutingContext ctx = e.getKey();
            if (!ctx.response().ended() && !ctx.request().isEnded()) {
                timedOut.increment();
                ctx.response().putHeader(HttpHeaders.CONNECTION, "close");
                Responses.error(ctx, 408, "request_timeout", "the request body did not arrive within "
                        + requestMillis + " ms of its headers");
                ctx.request().connection().close();
            }
        }
        for (var it = waitingSince.entrySet().iterator(); it.hasNext(); ) {
            var e = it.next();
            if (now - e.getValue() >= 0) {
                it.remove();
                closedIdle.increment();
                e.getKey().close();
            }
        }
    }

    /** A new connection: it has {@code idleMillis} to send its first request's headers. */
    void connected(HttpConnection conn) {
        awaitRequest(conn);
        conn.closeHandler(v -> waitingSince.remove(conn));
    }

    /**
     * The first handler of every request: its headers are in. Starts the body clock and reserves buffer for the
     * body; answers (and returns false) when the buffer is full.
     */
    boolean headersArrived(RoutingContext ctx) {
        HttpConnection conn = ctx.request().connection();
        waitingSince.remove(conn);
        boolean http1 = ctx.request().version() != io.vertx.core.http.HttpVersion.HTTP_2;
        ctx.addEndHandler(v -> {
            release(ctx);
            if (http1) { // one request at a time: the next one's headers are awaited from now on
                awaitRequest(conn);
            }
        });
        long reserve = declaredLength(ctx);
        if (reserve > 0) {
            if (budget.addAndGet(-reserve) < 0) {
                budget.addAndGet(reserve);
                refused.increment();
                Responses.overloaded(ctx, "request bodies being received already hold " + bufferBytes + " bytes", 0);
                return false;
            }
            ctx.put(RESERVED, reserve);
        }
        if (!ctx.request().isEnded()) { // a body still to come (a complete one costs nothing here)
            bodies.put(ctx, System.nanoTime() + requestMillis * 1_000_000L);
        }
        return true;
    }

    /** The body is in (or there was none): stop its clock and give its buffer back. */
    void bodyArrived(RoutingContext ctx) {
        release(ctx);
    }

    private void release(RoutingContext ctx) {
        Long reserved = ctx.remove(RESERVED);
        if (reserved != null) {
            budget.addAndGet(reserved);
        }
        bodies.remove(ctx);
    }

    /** Bytes a body will hold: its Content-Length (capped at the limit, which refuses more), else the limit. */
    private long declaredLength(RoutingContext ctx) {
        String len = ctx.request().getHeader(HttpHeaders.CONTENT_LENGTH);
        if (len != null) {
            try {
                return Math.min(Math.max(0, Long.parseLong(len.trim())), bodyLimit);
            } catch (NumberFormatException e) {
                return bodyLimit;
            }
        }
        String te = ctx.request().getHeader(HttpHeaders.TRANSFER_ENCODING);
        return te == null ? 0 : bodyLimit;
    }

    private void awaitRequest(HttpConnection conn) {
        waitingSince.put(conn, System.nanoTime() + idleMillis * 1_000_000L);
    }
}
