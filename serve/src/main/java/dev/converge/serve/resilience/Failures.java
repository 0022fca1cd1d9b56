package dev.converge.serve.resilience;

import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import java.net.ConnectException;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How a dependency's failure is named in a degraded answer: by kind only ("timed out", "circuit breaker open"),
 * never with the exception's text, which can carry SQL, stored values or addresses. The text goes to the log, at most
 * once a second.
 */
public final class Failures {
    private static final Logger LOG = LoggerFactory.getLogger(Failures.class);
    private static final AtomicLong LAST_LOGGED = new AtomicLong();

    private Failures() {}

    public static String describe(Throwable t) {
        String kind = kind(t);
        long now = System.nanoTime();
        long last = LAST_LOGGED.get();
        if (now - last > 1_000_000_000L && LAST_LOGGED.compareAndSet(last, now)) {
            LOG.warn("dependency failure answered as degraded ({}): {}", kind, t.toString());
        }
        return kind;
    }

    static String kind(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c instanceof CallNotPermittedException) {
                return "circuit breaker open";
            }
            if (c instanceof TimeoutException || c.getClass().getSimpleName().contains("Timeout")) {
                return "timed out";
            }
            if (c instanceof ConnectException || c.getClass().getSimpleName().contains("ClosedConnection")) {
                return "connection failed";
            }
        }
        return "error";
    }
}
