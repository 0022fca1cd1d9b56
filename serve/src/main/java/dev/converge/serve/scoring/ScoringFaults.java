package dev.converge.serve.scoring;

/**
 * Faults injected into scoring, for tests of what the server does with a model that is slow or fails (a canary's
 * rollback, a latency alert that names scoring, a shadow's full queue): called before every scoring of a loaded
 * model, on the thread that scores; it may sleep or throw. Never set in production ({@link #NONE}).
 */
@FunctionalInterface
public interface ScoringFaults {
    ScoringFaults NONE = (model, version) -> { };

    void beforeScoring(String model, int version);
}
