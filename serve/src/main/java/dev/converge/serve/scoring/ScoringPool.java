package dev.converge.serve.scoring;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.internal.ContextInternal;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * The scoring workers: threads that take scorings from one queue and hand each result back to the event loop that
 * asked for it. While a worker has more scorings queued, it hands its results back together, at most every
 * {@code handBackNanos} of its own time: one wake-up of an event loop for several answers instead of one per row.
 * On a core shared by the event loop and the worker, every hand-back wakes the loop, which takes the core from the
 * scorer and evicts a large model's trees from the caches; measured, a 1,000-tree model scored 1.5x slower per row
 * beside a busy loop than alone (docs/perf.md, "Goodput under real load", second part). With an empty queue a result
 * goes back at once, so below saturation no answer waits for another.
 */
public final class ScoringPool implements AutoCloseable {
    /** At most this many results go back in one hand-back. */
    static final int MAX_BATCH = 64;

    private record Task<T>(Callable<T> work, Context context, Promise<T> promise) {
        void settle(Object result, Throwable failure) {
            if (failure == null) {
                @SuppressWarnings("unchecked") T t = (T) result;
                promise.complete(t);
            } else {
                promise.fail(failure);
            }
        }
    }

    private record Done(Task<?> task, Object result, Throwable failure) {}

    private final Vertx vertx;
    private final LinkedBlockingQueue<Task<?>> queue = new LinkedBlockingQueue<>();
    private final Thread[] threads;
    private final long handBackNanos;
    private final LongSupplier clock;
    private volatile boolean closed;
    private final java.util.concurrent.atomic.AtomicLong handBacks = new java.util.concurrent.atomic.AtomicLong();

    /**
     * @param handBackNanos the longest a finished result waits for the ones scored after it while more are queued;
     *                      0 hands every result back at once
     */
    public ScoringPool(Vertx vertx, String name, int workers, long handBackNanos, LongSupplier clock) {
        if (workers < 1 || handBackNanos < 0) {
            throw new IllegalArgumentException("workers >= 1 and handBackNanos >= 0, were " + workers + ", "
                    + handBackNanos);
        }
        this.vertx = vertx;
        this.handBackNanos = handBackNanos;
        this.clock = clock;
        this.threads = new Thread[workers];
        for (int i = 0; i < workers; i++) {
            threads[i] = new Thread(this::work, name + "-" + i);
            threads[i].setDaemon(true);
            threads[i].start();
        }
    }

    /** Runs {@code work} on a worker; the future completes on the calling context (an event loop, usually). */
    <T> Future<T> submit(Callable<T> work) {
        Context context = Vertx.currentContext();
        Task<T> task = new Task<>(work, context != null ? context : vertx.getOrCreateContext(), Promise.promise());
        if (closed) {
            return Future.failedFuture(new IllegalStateException("the scoring pool is closed"));
        }
        queue.add(task);
        return task.promise().future();
    }

    /** Scorings waiting for a worker (not counting those being scored). */
    int waiting() {
        return queue.size();
    }

    private void work() {
        List<Done> finished = new ArrayList<>();
        long firstFinished = 0;
        while (!closed) {
            Task<?> task;
            try {
                task = finished.isEmpty() ? queue.take() : queue.poll();
            } catch (InterruptedException e) {
                break;
            }
            if (task == null) { // nothing more queued: what is finished goes back now
                handBack(finished);
                continue;
            }
            Object result = null;
            Throwable failure = null;
            try {
                result = task.work().call();
            } catch (Throwable t) {
                failure = t;
            }
            if (finished.isEmpty()) {
                firstFinished = clock.getAsLong();
            }
            finished.add(new Done(task, result, failure));
            if (finished.size() >= MAX_BATCH || clock.getAsLong() - firstFinished >= handBackNanos) {
                handBack(finished);
            }
        }
        handBack(finished);
    }

    /** How many times results were handed back to an event loop (each one wake-up of it at most). */
    long handBacks() {
        return handBacks.get();
    }

    /**
     * One hand-back per event loop of the finished results, in the order they finished; clears the list. Each HTTP
     * request runs on a duplicate of its loop's context (Vert.x), so results are grouped by the root context, and each
     * is then settled on its own request's context (context-local data, such as the statement tally, stays right).
     */
    private void handBack(List<Done> finished) {
        while (!finished.isEmpty()) {
            handBacks.incrementAndGet();
            ContextInternal root = ((ContextInternal) finished.get(0).task().context()).unwrap();
            List<Done> mine = new ArrayList<>(finished.size());
            finished.removeIf(d -> ((ContextInternal) d.task().context()).unwrap() == root && mine.add(d));
            root.runOnContext(v -> {
                for (Done d : mine) {
                    ((ContextInternal) d.task().context()).dispatch(d, x -> x.task().settle(x.result(), x.failure()));
                }
            });
        }
    }

    /** Stops the workers after their current scoring; what is still queued fails. */
    @Override
    public void close() {
        closed = true;
        for (Thread t : threads) {
            t.interrupt();
        }
        for (Thread t : threads) {
            try {
                t.join(TimeUnit.SECONDS.toMillis(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        Task<?> left;
        while ((left = queue.poll()) != null) {
            Task<?> t = left;
            t.context().runOnContext(v -> t.settle(null, new IllegalStateException("the server is stopping")));
        }
    }
}
