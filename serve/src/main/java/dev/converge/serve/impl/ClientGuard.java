package dev.converge.serve.impl;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.RoutingContext;
import java.util.IdentityHashMap;
import java.util.Map;
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
    private static final String TIMER = "converge.body.timer";

    private final Vertx vertx;
    private final long idleMillis;
    private final long requestMillis;
    private final long bodyLimit;
    private final AtomicLong budget;
    private final long bufferBytes;
    private final Map<HttpConnection, Long> waiting = new IdentityHashMap<>();
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

    /** A new connection: it has {@code idleMillis} to send its first request's headers. */
    void connected(HttpConnection conn) {
        awaitRequest(conn);
        conn.closeHandler(v -> cancelWait(conn));
    }

    /**
     * The first handler of every request: its headers are in. Starts the body clock and reserves buffer for the
     * body; answers (and returns false) when the buffer is full.
     */
    boolean headersArrived(RoutingContext ctx) {
        HttpConnection conn = ctx.request().connection();
        cancelWait(conn);
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
        long timer = vertx.setTimer(requestMillis, id -> {
            if (!ctx.response().ended() && !ctx.request().isEnded()) {
                timedOut.increment();
                ctx.response().putHeader(HttpHeaders.CONNECTION, "close");
                Responses.error(ctx, 408, "request_timeout", "the request body did not arrive within "
                        + requestMillis + " ms of its headers");
                ctx.request().connection().close();
            }
        });
        ctx.put(TIMER, timer);
        return true;
    }

    /** The body is in (or there was none): stop its clock and give its buffer back. */
    void bodyArrived(RoutingContext ctx) {
        Long timer = ctx.get(TIMER);
        if (timer != null) {
            vertx.cancelTimer(timer);
            ctx.remove(TIMER);
        }
        release(ctx);
    }

    private void release(RoutingContext ctx) {
        Long reserved = ctx.remove(RESERVED);
        if (reserved != null) {
            budget.addAndGet(reserved);
        }
        Long timer = ctx.remove(TIMER);
        if (timer != null) {
            vertx.cancelTimer(timer);
        }
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
        cancelWait(conn);
        long id = vertx.setTimer(idleMillis, t -> {
            if (waiting.remove(conn) != null) {
                closedIdle.increment();
                conn.close();
            }
        });
        waiting.put(conn, id);
    }

    private void cancelWait(HttpConnection conn) {
        Long id = waiting.remove(conn);
        if (id != null) {
            vertx.cancelTimer(id);
        }
    }
}
