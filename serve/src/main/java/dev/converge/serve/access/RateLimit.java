package dev.converge.serve.access;

/**
 * A key's rate (issue 30): a token bucket holding one second of requests, refilled continuously. One per key and
 * server, shared by its event loops; taking a token is a short synchronized section, uncontended unless one key's
 * requests arrive on several loops at once.
 */
public final class RateLimit {
    private final int perSecond;
    private double tokens;
    private long last = System.nanoTime();

    public RateLimit(int perSecond) {
        this.perSecond = perSecond;
        this.tokens = perSecond;
    }

    public int perSecond() {
        return perSecond;
    }

    /** Whether a token is there now, taking none. */
    public synchronized boolean available() {
        long now = System.nanoTime();
        tokens = Math.min(perSecond, tokens + (now - last) * perSecond / 1e9);
        last = now;
        return tokens >= 1;
    }

    /** Takes one request's token; false when the key is over its rate now. */
    public synchronized boolean take() {
        long now = System.nanoTime();
        tokens = Math.min(perSecond, tokens + (now - last) * perSecond / 1e9);
        last = now;
        if (tokens < 1) {
            return false;
        }
        tokens -= 1;
        return true;
    }
}
