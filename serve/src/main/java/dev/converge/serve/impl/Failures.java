package dev.converge.serve.impl;

/** How a dependency's failure is named in a degraded answer. */
final class Failures {
    private Failures() {}

    static String describe(Throwable t) {
        return t.getClass().getSimpleName() + (t.getMessage() == null ? "" : ": " + t.getMessage());
    }
}
