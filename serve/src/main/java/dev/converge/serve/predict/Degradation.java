package dev.converge.serve.predict;

/** Why an answer is degraded: which dependency failed and what was done instead, with the detail for people. */
public record Degradation(Kind kind, String detail) {
    public enum Kind {
        /** The entity's online features could not be read; the request's own features were scored. */
        ONLINE_FEATURES_UNAVAILABLE,
        /** The online features could not be read and the request's features were not enough: the configured default. */
        DEFAULT_ANSWER,
        /** The cache could not be read; the prediction was computed and not cached. */
        CACHE_UNAVAILABLE
    }
}
