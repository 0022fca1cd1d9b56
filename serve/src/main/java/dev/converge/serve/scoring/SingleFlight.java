package dev.converge.serve.scoring;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/** Concurrent identical computations in this replica run once; the others wait for that one's result. */
public final class SingleFlight<T> {
    /** A flight's result, and when the flight may end (later, e.g. once the result is stored). */
    public record Flight<T>(Future<T> value, Future<?> settled) {}

    private final ConcurrentHashMap<String, Future<T>> inFlight = new ConcurrentHashMap<>();
    private final java.util.concurrent.atomic.LongAdder shared = new java.util.concurrent.atomic.LongAdder();

    /** Requests that shared an identical flight's result instead of starting their own. */
    public long shared() {
        return shared.sum();
    }

    /**
     * Runs {@code start} unless an identical flight is under way, whose result is then shared. The result is
     * handed out as soon as {@code value} completes while the flight stays
     * registered until {@code settled} does: identical requests meanwhile share the result instead of starting
     * over, and the first caller does not wait for the store.
     */
    public Future<T> runSettling(String key, Supplier<Flight<T>> start) {
        Promise<T> mine = Promise.promise();
        Future<T> existing = inFlight.putIfAbsent(key, mine.future());
        if (existing != null) {
            shared.increment();
            return existing;
        }
        Flight<T> flight;
        try {
            flight = start.get();
        } catch (RuntimeException e) {
            flight = new Flight<>(Future.failedFuture(e), Future.succeededFuture());
        }
        Future<?> settled = flight.settled();
        flight.value().onComplete(ar -> {
            mine.handle(ar);
            if (ar.failed()) {
                inFlight.remove(key, mine.future());
            } else {
                settled.onComplete(done -> inFlight.remove(key, mine.future()));
            }
        });
        return mine.future();
    }
}
