package dev.converge.serve.graphql;

import dev.converge.serve.pg.StatementTally;
import graphql.execution.instrumentation.Instrumentation;
import graphql.execution.instrumentation.InstrumentationState;
import graphql.execution.instrumentation.parameters.InstrumentationFieldFetchParameters;
import graphql.schema.DataFetcher;

/** Counts, per request, the statements a resolver issues while it runs (loaders count their own). */
final class Tallying implements Instrumentation {
    @Override
    public DataFetcher<?> instrumentDataFetcher(DataFetcher<?> fetcher, InstrumentationFieldFetchParameters p,
                                                InstrumentationState state) {
        if (p.isTrivialDataFetcher()) {
            return fetcher;
        }
        return env -> {
            StatementTally tally = env.getGraphQlContext().get(GraphQlEngine.TALLY);
            String coordinates = FieldScopes.coordinates(env);
            tally.resolved(coordinates);
            return tally.within(coordinates, () -> {
                try {
                    return fetcher.get(env);
                } catch (Exception e) {
                    throw e instanceof RuntimeException r ? r : new java.util.concurrent.CompletionException(e);
                }
            });
        };
    }
}
