package dev.converge.serve.predict;

import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Prediction ids: UUIDs of version 7 (RFC 9562), the milliseconds since the epoch then 74 random bits, so that ids
 * sort by time (the log's index stays append-mostly) and cost no lock ({@link UUID#randomUUID()} takes
 * {@code SecureRandom}'s). Unique enough for a log: 2^74 values per millisecond.
 */
public final class PredictionIds {
    private PredictionIds() {}

    public static String next() {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        long ms = System.currentTimeMillis();
        long hi = (ms << 16) | 0x7000L | (r.nextLong() & 0x0fffL);
        long lo = (r.nextLong() & 0x3fffffffffffffffL) | 0x8000000000000000L;
        return new UUID(hi, lo).toString();
    }
}
