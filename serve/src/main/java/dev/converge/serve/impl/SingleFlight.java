package dev.converge.serve.impl;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/** Concurrent identical computations in this replica run once; the others wait for that one's result. */
public final class SingleFlight<T> {
    private final ConcurrentHashMap<String, Future<T>> inFlight = new ConcurrentHashMap<>();

    public Future<T> run(String key, Supplier<Future<T>> compute) {
        Promise<T> mine = Promise.promise();
        Future<T> existing = inFlight.putIfAbsent(key, mine.future());
        if (existing != null) {
            return existing;
        }
        Future<T> f;
        try {
            f = compute.get();
        } catch (RuntimeException e) {
            f = Future.failedFuture(e);
        }
        f.onComplete(ar -> {
            inFlight.remove(key, mine.future());
            mine.handle(ar);
        });
        return mine.future();
    }
}
