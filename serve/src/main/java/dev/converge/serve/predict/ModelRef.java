package dev.converge.serve.predict;

/** Which model version answered. */
public record ModelRef(String name, int version) {}
