package dev.converge.serve.graphql;

/** An entity as resolved: the id asked for, its feature set and the key it is stored under. */
public record EntityRef(String id, String featureSet, String key) {
}
