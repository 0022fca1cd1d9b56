package dev.converge.serve.model;

/**
 * The model that takes traffic, and the one before it, kept loaded so that a rollback is a pointer swap. A
 * request reads {@link #active()} once and scores on that model to the end, so a swap never changes the model
 * under an in-flight request.
 */
public final class ModelSlot {
    private record State(ModelHandle active, ModelHandle previous) {}

    private volatile State state = new State(null, null);

    public ModelHandle active() {
        return state.active();
    }

    public ModelHandle previous() {
        return state.previous();
    }

    /** Makes a verified, warmed model active; the active one becomes the rollback target. */
    public synchronized void activate(ModelHandle next) {
        State s = state;
        if (s.active() != null && s.active().version() == next.version()) {
            return;
        }
        state = new State(next, s.active());
    }

    /** Swaps back to the previous model; returns it, or null when there is none. */
    public synchronized ModelHandle rollback() {
        State s = state;
        if (s.previous() == null) {
            return null;
        }
        state = new State(s.previous(), s.active());
        return s.previous();
    }
}
