package dev.converge.contracts;

/** What validation does with a feature name the schema does not know. */
public enum UnknownFeaturePolicy {
    /** The row is invalid. */
    REJECT,
    /** The feature is dropped, the row stays valid, and the name is reported in the result. */
    REPORT
}
