package dev.converge.model;

import dev.converge.contracts.ConvergeException;

/** A model that may not take traffic (or be registered), with the model, the version and the check it failed. */
public final class ModelRefusedException extends ConvergeException {
    /** Which check refused the model. */
    public enum Reason {
        /** The registry has no such model or version. */
        NOT_FOUND,
        /** The artifact's bytes are not the bytes registered (sha256 or size), or it is not a readable MOJO. */
        ARTIFACT_MISMATCH,
        /** Written by an H2O newer than this runtime's h2o-genmodel. */
        INCOMPATIBLE_H2O,
        /** Registered without reference predictions, so it cannot prove itself. */
        NO_REFERENCE,
        /** Does not reproduce its reference predictions within {@link Parity#TOLERANCE}. */
        PARITY
    }

    private final String model;
    private final Integer version;
    private final Reason reason;

    public ModelRefusedException(String model, Integer version, Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.model = model;
        this.version = version;
        this.reason = reason;
    }

    public ModelRefusedException(String model, Integer version, Reason reason, String message) {
        this(model, version, reason, message, null);
    }

    @Override
    public String code() {
        return "model_refused";
    }

    public String model() {
        return model;
    }

    /** The version refused, or null when none was resolved (no champion). */
    public Integer version() {
        return version;
    }

    public Reason reason() {
        return reason;
    }
}
