package dev.converge.serve.grpc;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import io.vertx.ext.web.RoutingContext;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

/**
 * gRPC's unary calls on the HTTP router: a request is an HTTP/2 POST with {@code content-type: application/grpc} and
 * one length-prefixed message; the answer is one length-prefixed message followed by trailers with
 * {@code grpc-status} 0, or, for a refusal, headers carrying {@code grpc-status} and {@code grpc-message} and no
 * message (gRPC's "trailers-only" answer). Every refusal the router sends ({@link Responses}) goes through here when
 * the request is gRPC, so a gRPC client sees a gRPC status, never a JSON body.
 */
public final class Grpc {
    /** gRPC's status codes as converge uses them. */
    public static final int OK = 0;
    public static final int INVALID_ARGUMENT = 3;
    public static final int DEADLINE_EXCEEDED = 4;
    public static final int NOT_FOUND = 5;
    public static final int PERMISSION_DENIED = 7;
    public static final int RESOURCE_EXHAUSTED = 8;
    public static final int UNIMPLEMENTED = 12;
    public static final int INTERNAL = 13;
    public static final int UNAVAILABLE = 14;
    public static final int UNAUTHENTICATED = 16;

    private Grpc() {
    }

    /** A refusal of the call, with the status a gRPC client reads. */
    public static final class Refused extends RuntimeException {
        private final int status;

        public Refused(int status, String message) {
            super(message, null, false, false);
            this.status = status;
        }

        public int status() {
            return status;
        }
    }

    /** Whether the request is a gRPC call ({@code application/grpc}, {@code application/grpc+proto}). */
    public static boolean is(RoutingContext ctx) {
        String type = ctx.request().getHeader("content-type");
        return type != null && type.regionMatches(true, 0, "application/grpc", 0, 16);
    }

    /** The gRPC status for an HTTP-style status of converge's (the mapping of gRPC's own HTTP guidance). */
    public static int status(int http) {
        return switch (http) {
            case 400, 422 -> INVALID_ARGUMENT;
            case 401 -> UNAUTHENTICATED;
            case 403 -> PERMISSION_DENIED;
            case 404 -> NOT_FOUND;
            case 408 -> DEADLINE_EXCEEDED;
            case 413, 429 -> RESOURCE_EXHAUSTED;
            case 405, 415, 501, 505 -> UNIMPLEMENTED;
            case 503 -> UNAVAILABLE;
            default -> http >= 200 && http < 300 ? OK : INTERNAL;
        };
    }

    /**
     * The one message of a unary request: the body's 5-byte prefix (compressed flag, big-endian length) and the
     * bytes it announces, nothing after them. Refuses compression (converge announces none), a length that does not
     * match the body, and HTTP/1 (gRPC runs on HTTP/2 only).
     */
    public static byte[] message(RoutingContext ctx) {
        if (ctx.request().version() != HttpVersion.HTTP_2) {
            throw new Refused(UNIMPLEMENTED, "gRPC needs HTTP/2 (" + ctx.request().version() + " was used)");
        }
        Buffer body = ctx.body().buffer();
        if (body == null || body.length() < 5) {
            throw new Refused(INVALID_ARGUMENT, "a unary call's body is one length-prefixed message; it was "
                    + (body == null ? 0 : body.length()) + " bytes");
        }
        if (body.getByte(0) != 0) {
            throw new Refused(UNIMPLEMENTED, "compressed messages are not accepted (grpc-encoding identity only)");
        }
        long length = body.getUnsignedInt(1);
        if (length != body.length() - 5) {
            throw new Refused(INVALID_ARGUMENT, "the message prefix announces " + length + " bytes, the body holds "
                    + (body.length() - 5) + " (a unary call carries exactly one message)");
        }
        return body.getBytes(5, body.length());
    }

    /** Answers the call with one message and {@code grpc-status: 0}. */
    public static void reply(RoutingContext ctx, byte[] message) {
        HttpServerResponse r = ctx.response();
        if (r.ended()) {
            return;
        }
        Buffer out = Buffer.buffer(5 + message.length).appendByte((byte) 0).appendUnsignedInt(message.length)
                .appendBytes(message);
        r.setStatusCode(200).putHeader("content-type", "application/grpc").putTrailer("grpc-status", "0").end(out);
    }

    /** Refuses the call: a trailers-only answer with {@code status} and {@code message}. */
    public static void refuse(RoutingContext ctx, int status, String message) {
        HttpServerResponse r = ctx.response();
        if (r.ended()) {
            return;
        }
        r.setStatusCode(200).putHeader("content-type", "application/grpc")
                .putHeader("grpc-status", Integer.toString(status))
                .putHeader("grpc-message", percentEncoded(message)).end();
    }

    /** gRPC's percent-encoding of a message: printable ASCII but '%' as is, every other byte as %XX (UTF-8). */
    static String percentEncoded(String message) {
        StringBuilder b = new StringBuilder(message.length());
        for (byte x : message.getBytes(StandardCharsets.UTF_8)) {
            int c = x & 0xff;
            if (c >= 0x20 && c <= 0x7e && c != '%') {
                b.append((char) c);
            } else {
                b.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
            }
        }
        return b.toString();
    }
}
