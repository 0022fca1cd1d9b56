package dev.converge.bench;

import org.HdrHistogram.Histogram;

/** Latency recording in microseconds with HdrHistogram (3 significant digits, up to 60 s). */
final class Percentiles {
    private final Histogram h = new Histogram(60_000_000L, 3);

    void recordNanos(long nanos) {
        h.recordValue(Math.max(1, nanos / 1_000));
    }

    double p50Micros() {
        return h.getValueAtPercentile(50);
    }

    double p99Micros() {
        return h.getValueAtPercentile(99);
    }

    long count() {
        return h.getTotalCount();
    }

    String row(String what) {
        return String.format("| %s | %d | %.0f | %.0f | %d |", what, count(), p50Micros(), p99Micros(),
                h.getMaxValue());
    }

    static String header() {
        return "| what | samples | p50 µs | p99 µs | max µs |\n|---|---:|---:|---:|---:|";
    }
}
