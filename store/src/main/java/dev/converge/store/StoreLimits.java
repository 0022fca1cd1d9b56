package dev.converge.store;

import java.time.Duration;
import java.time.Instant;

/** The feature store's limits, each with its reason in docs/decisions/. */
public final class StoreLimits {
    /** Largest hot document, as pg_column_size of the jsonb, that feature_history accepts (V1 migration). */
    public static final int HOT_MAX_BYTES = 1800;
    /** Earliest event time accepted. */
    public static final Instant EARLIEST_EVENT = Instant.parse("1900-01-01T00:00:00Z");
    /** How far past now an event time may be: a future event would shadow every real update. */
    public static final Duration MAX_FUTURE_SKEW = Duration.ofDays(1);

    private StoreLimits() {}
}
