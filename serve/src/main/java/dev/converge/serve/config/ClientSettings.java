package dev.converge.serve.config;

import dev.converge.contracts.config.Settings;

/**
 * Bounds on slow clients.
 *
 * @param idleMillis      a connection must send the next request's headers within this of opening or of its
 *                        previous response, and may not go silent longer than this
 * @param requestMillis   a request's body must arrive within this of its headers (else 408)
 * @param bodyBufferBytes bodies being received at once hold at most this many bytes (else 503)
 */
public record ClientSettings(long idleMillis, long requestMillis, long bodyBufferBytes) {
    public static final ClientSettings DEFAULTS = new ClientSettings(30_000, 10_000, 64L << 20);

    public ClientSettings {
        Checks.require(idleMillis >= 100, "serve.idle_timeout_ms must be >= 100, was " + idleMillis);
        Checks.require(requestMillis >= 100, "serve.request_timeout_ms must be >= 100, was " + requestMillis);
        Checks.require(bodyBufferBytes >= 1024, "serve.body_buffer_bytes must be >= 1024, was " + bodyBufferBytes);
    }

    public static ClientSettings from(Settings s) {
        return new ClientSettings(s.integer("serve.idle_timeout_ms", (int) DEFAULTS.idleMillis),
                s.integer("serve.request_timeout_ms", (int) DEFAULTS.requestMillis),
                s.integer("serve.body_buffer_bytes", (int) DEFAULTS.bodyBufferBytes));
    }
}
