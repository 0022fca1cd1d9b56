package dev.converge.serve.config;

import dev.converge.contracts.config.Settings;

/**
 * Bounds on a GraphQL request, checked before it runs (a refused query touches no database).
 *
 * @param maxDepth         deepest field nesting (introspection's own fields aside)
 * @param maxCost          budget: each field costs its weight times the sizes of the lists above it
 *                         ({@code ids}, {@code limit}, {@code last}, {@code rows})
 * @param maxAliases       aliased fields in one document
 * @param maxDocumentBytes characters of the query document
 * @param maxIds           ids in one {@code entities} call
 * @param maxLimit         largest {@code limit} / {@code last}
 * @param introspection    whether {@code __schema} and {@code __type} are answered
 * @param timeoutMillis    a request not answered within this is answered with a timeout error
 * @param weights          {@code Type.field} to weight; a field not listed weighs 1
 */
public record GraphQlSettings(int maxDepth, int maxCost, int maxAliases, int maxDocumentBytes, int maxIds, int maxLimit,
                      boolean introspection, long timeoutMillis, java.util.Map<String, Integer> weights) {
    /** Scoring and reading history cost more than a stored field. */
    public static final java.util.Map<String, Integer> DEFAULT_WEIGHTS = java.util.Map.of(
            "Entity.prediction", 5, "Entity.similar", 5, "Entity.history", 2, "Entity.features", 2, "FeatureRow.features", 1,
            "PredictionModel.registered", 2, "Model.events", 2, "Mutation.predict", 5, "Mutation.predictBatch", 5);
    public static final GraphQlSettings DEFAULTS = new GraphQlSettings(5, 5000, 30, 16 * 1024, 100, 1000, true, 5000,
            DEFAULT_WEIGHTS);

    public GraphQlSettings {
        Checks.require(maxDepth >= 2, "serve.graphql.max_depth must be >= 2, was " + maxDepth);
        Checks.require(maxCost >= 1, "serve.graphql.max_cost must be >= 1, was " + maxCost);
        Checks.require(maxAliases >= 0, "serve.graphql.max_aliases must be >= 0, was " + maxAliases);
        Checks.require(maxDocumentBytes >= 256, "serve.graphql.max_document_bytes must be >= 256, was "
                + maxDocumentBytes);
        Checks.require(maxIds >= 1, "serve.graphql.max_ids must be >= 1, was " + maxIds);
        Checks.require(maxLimit >= 1, "serve.graphql.max_limit must be >= 1, was " + maxLimit);
        Checks.require(timeoutMillis >= 10, "serve.graphql.timeout_ms must be >= 10, was " + timeoutMillis);
        weights = java.util.Map.copyOf(weights);
    }

    public static GraphQlSettings from(Settings s) {
        java.util.Map<String, Integer> weights = new java.util.HashMap<>(DEFAULT_WEIGHTS);
        for (String pair : s.string("serve.graphql.weights").orElse("").split(",")) {
            if (pair.isBlank()) {
                continue;
            }
            String[] kv = pair.trim().split("=", 2);
            Checks.require(kv.length == 2 && kv[0].matches("[A-Za-z_][A-Za-z0-9_]*\\.[A-Za-z_][A-Za-z0-9_]*")
                    && kv[1].trim().matches("\\d{1,6}"), "serve.graphql.weights must be Type.field=N,..., had '"
                    + pair.trim() + "'");
            weights.put(kv[0], Integer.parseInt(kv[1].trim()));
        }
        String intro = s.string("serve.graphql.introspection").orElse("on");
        Checks.require(intro.equals("on") || intro.equals("off"), "serve.graphql.introspection must be on or off, was '"
                + intro + "'");
        return new GraphQlSettings(s.integer("serve.graphql.max_depth", DEFAULTS.maxDepth),
                s.integer("serve.graphql.max_cost", DEFAULTS.maxCost),
                s.integer("serve.graphql.max_aliases", DEFAULTS.maxAliases),
                s.integer("serve.graphql.max_document_bytes", DEFAULTS.maxDocumentBytes),
                s.integer("serve.graphql.max_ids", DEFAULTS.maxIds),
                s.integer("serve.graphql.max_limit", DEFAULTS.maxLimit), intro.equals("on"),
                s.integer("serve.graphql.timeout_ms", (int) DEFAULTS.timeoutMillis), weights);
    }

    public int weight(String coordinates) {
        return weights.getOrDefault(coordinates, 1);
    }
}
