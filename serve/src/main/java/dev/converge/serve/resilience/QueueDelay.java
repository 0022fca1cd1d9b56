package dev.converge.serve.resilience;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * Bounds the time a request waits for a scoring worker, so that accepted requests keep a bounded latency under
 * sustained overload while bursts are queued and answered. Two rules:
 * <ul>
 *   <li>admission: a scoring is refused when the wait it should expect (Little's law: queued scorings x the
 *       measured time one scoring holds a worker / workers) exceeds the target <em>and</em> the queue is standing,
 *       that is, it has not once been empty for an interval of 100 ms (CoDel's idea): a burst that the workers
 *       absorb within the interval is never refused;</li>
 *   <li>deadline: a scoring that has waited longer than the deadline when a worker takes it is not run (its
 *       caller is answered 503), because running it late only makes everything behind it later too.</li>
 * </ul>
 * The service time is an exponentially weighted mean of wall-clock time, so CPU contention counts; it starts from
 * the active model's scoring time measured at load, and restarts from it on every swap.
 */
public final class QueueDelay {
    private static final double ALPHA = 0.05;
    /** CoDel's interval (Nichols and Jacobson): a burst drains within it, a standing queue does not. */
    static final long INTERVAL_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    private final int workers;
    private final long targetNanos;
    private final long deadlineNanos;
    private final AtomicInteger queued = new AtomicInteger();
    /** When the queue was last seen empty: a queue that has not emptied for {@link #INTERVAL_NANOS} is standing. */
    private volatile long lastEmptyNanos = System.nanoTime();
    private final LongAdder expired = new LongAdder();
    private volatile double serviceNanos;

    public QueueDelay(int workers, long targetMillis, long deadlineMillis) {
        if (workers < 1 || targetMillis < 0 || deadlineMillis < targetMillis) {
            throw new IllegalArgumentException("workers >= 1 and 0 <= target <= deadline, were " + workers + ", "
                    + targetMillis + ", " + deadlineMillis);
        }
        this.workers = workers;
        this.targetNanos = TimeUnit.MILLISECONDS.toNanos(targetMillis);
        this.deadlineNanos = TimeUnit.MILLISECONDS.toNanos(deadlineMillis);
    }

    /** The wait a scoring queued now should expect. */
    public long expectedWaitNanos() {
        return (long) (queued.get() * serviceNanos / workers);
    }

    /** Whether a scoring queued now would wait no longer than the target. */
    public boolean admits() {
        return expectedWaitNanos() <= targetNanos;
    }

    /**
     * Whether the queue is standing at {@code now}: it has not been empty for a whole interval. A burst fills the
     * queue and drains within the interval; only load above capacity keeps it from emptying.
     */
    public boolean standing(long now) {
        return queued.get() > 0 && now - lastEmptyNanos > INTERVAL_NANOS;
    }

    /**
     * Whether a new scoring should be refused at {@code now}: its expected wait is over the target and the queue
     * is standing (sustained overload, not a burst the workers will absorb), or its expected wait is past the
     * deadline (it would be dropped unrun when a worker took it: better refused now, before it costs anything).
     */
    public boolean refuses(long now) {
        long expected = expectedWaitNanos();
        return expected > deadlineNanos || expected > targetNanos && standing(now);
    }

    /** A scoring joins the queue; returns its enqueue time. */
    public long enqueued() {
        long now = System.nanoTime();
        if (queued.getAndIncrement() == 0) {
            lastEmptyNanos = now;
        }
        return now;
    }

    /**
     * A worker takes the scoring queued at {@code enqueuedAt}: false when it is {@code droppable} and waited past
     * the deadline.
     */
    public boolean started(long enqueuedAt, long now, boolean droppable) {
        if (queued.decrementAndGet() == 0) {
            lastEmptyNanos = now;
        }
        if (droppable && now - enqueuedAt > deadlineNanos) {
            expired.increment();
            return false;
        }
        return true;
    }

    /** A scoring held its worker for {@code nanos}. */
    public void served(long nanos) {
        double s = serviceNanos;
        serviceNanos = s == 0 ? nanos : s + ALPHA * (nanos - s);
    }

    /**
     * A newly active model (a swap or a rollback): the service time starts from its scoring time measured at load
     * (warm, one thread), not from the last model's, nor from a cold first scoring.
     */
    public void modelChanged(double measuredNanos) {
        serviceNanos = measuredNanos;
    }

    public int queued() {
        return queued.get();
    }

    public long expired() {
        return expired.sum();
    }

    public long targetMillis() {
        return TimeUnit.NANOSECONDS.toMillis(targetNanos);
    }

    public long deadlineMillis() {
        return TimeUnit.NANOSECONDS.toMillis(deadlineNanos);
    }
}
