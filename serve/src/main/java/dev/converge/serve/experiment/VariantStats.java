package dev.converge.serve.experiment;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * The running figures of one deployed version while an experiment runs: answers, errors (a scoring that failed, not a
 * refusal for overload) and the latency of the last {@link #RING} answers. The canary reads a window of them (since
 * its last step) and compares the challenger's with the champion's; Prometheus reads the totals.
 */
public final class VariantStats {
    static final int RING = 4096;

    private final LongAdder answered = new LongAdder();
    private final LongAdder errors = new LongAdder();
    private final long[] latencies = new long[RING];
    private final AtomicLong recorded = new AtomicLong();
    private long windowAnswered;
    private long windowErrors;
    private long windowRecorded;

    public void answered(long nanos) {
        answered.increment();
        latencies[(int) (recorded.getAndIncrement() % RING)] = nanos;
    }

    public void error() {
        errors.increment();
    }

    public long answered() {
        return answered.sum();
    }

    public long errors() {
        return errors.sum();
    }

    /** What a window saw: requests (answered or failed), the error rate, and p99 of the answered in milliseconds. */
    public record Window(long requests, long errors, double p99Millis) {
        public double errorRate() {
            return requests == 0 ? 0 : errors / (double) requests;
        }
    }

    /** The window since the last {@link #restart}, without ending it. */
    public synchronized Window window() {
        long a = answered.sum() - windowAnswered;
        long e = errors.sum() - windowErrors;
        long n = Math.min(RING, recorded.get() - windowRecorded);
        double p99 = 0;
        if (n > 0) {
            long end = recorded.get();
            long[] s = new long[(int) n];
            for (int i = 0; i < n; i++) {
                s[i] = latencies[(int) ((end - 1 - i) % RING)];
            }
            Arrays.sort(s);
            p99 = s[Math.min(s.length - 1, (int) Math.ceil(s.length * 0.99) - 1)] / 1e6;
        }
        return new Window(a + e, e, p99);
    }

    /** Starts a new window (a canary's new step). */
    public synchronized void restart() {
        windowAnswered = answered.sum();
        windowErrors = errors.sum();
        windowRecorded = recorded.get();
    }
}
