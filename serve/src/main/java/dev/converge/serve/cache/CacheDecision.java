package dev.converge.serve.cache;

import dev.converge.serve.model.ModelHandle;

/**
 * Whether the cache pays for a model, from measured costs, the way inline or worker scoring is decided: a lookup
 * (one Redis round trip, measured at start) that costs more than scoring the row (the model's measured p90) makes
 * every request slower, so such a model is scored directly and its answers are not cached. Until the round trip
 * has been measured (Redis down at start), the cache is used.
 */
public final class CacheDecision {
    private final boolean always;
    private volatile long lookupNanos = -1;

    /** @param always cache every model (serve.cache=always) */
    public CacheDecision(boolean always) {
        this.always = always;
    }

    public void measured(long nanos) {
        lookupNanos = nanos;
    }

    /** The measured cost of one lookup, or -1 before it has been measured. */
    public long lookupNanos() {
        return lookupNanos;
    }

    /** Whether {@code model}'s answers go through the cache. */
    public boolean worthIt(ModelHandle model) {
        long lookup = lookupNanos;
        return always || lookup < 0 || model.p90Micros() * 1000 > lookup;
    }

    /** The decision for {@code model} and why, for the log and the activation's answer. */
    public String describe(ModelHandle model) {
        long lookup = lookupNanos;
        if (always) {
            return "on (serve.cache=always)";
        }
        if (lookup < 0) {
            return "on (the Redis round trip has not been measured)";
        }
        return (worthIt(model) ? "on" : "off") + String.format(java.util.Locale.ROOT,
                " (scoring p90 %.1f us %s a Redis lookup's %.1f us)", model.p90Micros(),
                worthIt(model) ? "costs more than" : "costs less than", lookup / 1e3);
    }
}
