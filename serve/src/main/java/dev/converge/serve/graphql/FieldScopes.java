package dev.converge.serve.graphql;

import dev.converge.serve.access.Principal;
import graphql.GraphqlErrorBuilder;
import graphql.execution.DataFetcherResult;
import graphql.execution.instrumentation.Instrumentation;
import graphql.execution.instrumentation.InstrumentationState;
import graphql.execution.instrumentation.parameters.InstrumentationFieldFetchParameters;
import graphql.schema.DataFetcher;
import java.util.Map;

/**
 * The scope each resolved field needs (docs/security.md): stored features need {@code features:read}, predictions
 * {@code predict} (for the served model), the registry {@code read}. A field the caller's key does not cover is
 * answered null with a {@code forbidden} error on that field; the rest of the answer stands. A resolver not listed
 * here is refused to everyone ({@code GraphQlScopesTest} keeps the list complete).
 */
final class FieldScopes implements Instrumentation {
    static final String PRINCIPAL = "converge.principal";
    static final Map<String, String> SCOPES = Map.ofEntries(
            Map.entry("Query.entity", "features:read"),
            Map.entry("Query.entities", "features:read"),
            Map.entry("Entity.features", "features:read"),
            Map.entry("Entity.eventTimestamp", "features:read"),
            Map.entry("Entity.history", "features:read"),
            Map.entry("FeatureRow.features", "features:read"),
            Map.entry("Entity.similar", "features:read"),
            Map.entry("Entity.prediction", "predict"),
            Map.entry("Mutation.predict", "predict"),
            Map.entry("Mutation.predictBatch", "predict"),
            Map.entry("Query.model", "read"),
            Map.entry("Query.models", "read"),
            Map.entry("Query.champion", "read"),
            Map.entry("Model.events", "read"),
            Map.entry("PredictionModel.registered", "read"));

    private final String servedModel;

    /** A field's {@code Type.field}, as the scopes, the tally and the overrides name it. */
    static String coordinates(graphql.schema.DataFetchingEnvironment env) {
        return env.getParentType() instanceof graphql.schema.GraphQLNamedType t
                ? t.getName() + "." + env.getField().getName() : env.getField().getName();
    }

    FieldScopes(String servedModel) {
        this.servedModel = servedModel;
    }

    @Override
    public DataFetcher<?> instrumentDataFetcher(DataFetcher<?> fetcher, InstrumentationFieldFetchParameters p,
                                                InstrumentationState state) {
        if (p.isTrivialDataFetcher()) {
            return fetcher;
        }
        return env -> {
            String coordinates = coordinates(env);
            if (coordinates.startsWith("__") || coordinates.contains(".__")) {
                return fetcher.get(env); // introspection: governed by serve.graphql.introspection
            }
            Principal who = env.getGraphQlContext().get(PRINCIPAL);
            String scope = SCOPES.get(coordinates);
            boolean allowed = who != null && scope != null && (scope.equals("predict") ? who.mayPredict(servedModel)
                    : who.has(scope));
            if (!allowed) {
                return DataFetcherResult.newResult().error(GraphqlErrorBuilder.newError(env).message(scope == null
                        ? "field " + coordinates + " has no scope declared, so no key may read it"
                        : "key " + (who == null ? "(none)" : who.id() + " ('" + who.name() + "')") + " lacks scope '"
                        + scope + "', which " + coordinates + " needs").extensions(Map.of("code", "forbidden"))
                        .build()).build();
            }
            return fetcher.get(env);
        };
    }
}
