package dev.converge.serve.predict;

import dev.converge.contracts.ConvergeException;

/** Work refused or dropped for overload, naming the bound it hit; transports answer it as 503 with Retry-After. */
public final class OverloadedException extends ConvergeException {
    private final ShedReason bound;

    public OverloadedException(ShedReason bound, String message) {
        super(message, false); // expected under load: no stack trace to fill
        this.bound = bound;
    }

    @Override
    public String code() {
        return "overloaded";
    }

    public ShedReason bound() {
        return bound;
    }
}
