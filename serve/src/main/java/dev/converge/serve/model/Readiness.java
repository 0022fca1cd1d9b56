package dev.converge.serve.model;

/**
 * Whether the server takes traffic: ready with the verified model it serves, or not ready with the reason
 * ({@code loading} while the first load runs; the refusal otherwise).
 */
public record Readiness(boolean ready, String model, Integer version, String scoring, Double p90Micros,
                        String cache, String reason) {
    /** The reason while the first model is still loading. */
    public static final String LOADING = "loading the champion";
    /** The reason while the verified model warms the prediction path up. */
    public static final String WARMING = "warming up the prediction path";
    /** The reason while the challengers of an experiment load (the champion is ready). */
    public static final String CHALLENGERS = "loading the challengers of the model's deployment";

    /** @param cache whether the cache serves the model and why ("none" without a cache) */
    public static Readiness ready(String model, int version, boolean inline, double p90Micros, String cache) {
        return new Readiness(true, model, version, inline ? "inline" : "worker", p90Micros, cache, null);
    }

    public static Readiness notReady(String reason) {
        return new Readiness(false, null, null, null, null, null, reason);
    }

    /** Still starting: loading the first model or warming up with it. */
    public boolean loading() {
        return !ready && (LOADING.equals(reason) || WARMING.equals(reason) || CHALLENGERS.equals(reason));
    }
}
