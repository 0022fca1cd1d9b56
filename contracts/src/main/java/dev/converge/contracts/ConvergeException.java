package dev.converge.contracts;

/**
 * The root of converge's own failures. Each subclass carries the state needed to act on it (the refused model
 * and why, the bound that shed a request, the rejected plan's numbers), not only a message, and a stable
 * machine-readable {@link #code()} that transports put in their error bodies.
 */
public abstract class ConvergeException extends RuntimeException {
    protected ConvergeException(String message, Throwable cause) {
        super(message, cause);
    }

    /** Without a stack trace, for failures that are expected under load and must stay cheap (overload). */
    protected ConvergeException(String message, boolean stackTrace) {
        super(message, null, false, stackTrace);
    }

    /** A short snake_case code, stable across releases ("model_refused", "overloaded", "plan_rejected"). */
    public abstract String code();
}
