package dev.converge.serve.graphql;

import dev.converge.serve.predict.OverloadedException;
import graphql.GraphqlErrorBuilder;
import graphql.execution.DataFetcherExceptionHandler;
import graphql.execution.DataFetcherExceptionHandlerResult;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * A resolver's failure as a clean error on its field: overload and an unavailable store say so; anything else
 * is logged under a reference and named only by it (no SQL or class names in answers).
 */
final class FieldFailures implements DataFetcherExceptionHandler {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(FieldFailures.class);

    @Override
    public CompletableFuture<DataFetcherExceptionHandlerResult> handleException(
            graphql.execution.DataFetcherExceptionHandlerParameters p) {
        Throwable e = p.getException();
        while (e instanceof java.util.concurrent.CompletionException && e.getCause() != null) {
            e = e.getCause();
        }
        String code;
        String message;
        if (e instanceof OverloadedException o) {
            code = "overloaded";
            message = "the server is at capacity (" + o.getMessage() + "); retry after 1 s";
        } else if (e instanceof io.github.resilience4j.circuitbreaker.CallNotPermittedException
                || e instanceof java.util.concurrent.TimeoutException) {
            code = "unavailable";
            message = "the feature store is unavailable (" + e.getMessage() + ")";
        } else {
            String ref = Long.toHexString(java.util.concurrent.ThreadLocalRandom.current().nextLong()
                    & 0xffffffffffffL);
            LOG.error("GraphQL field {} failed, reference {}", p.getPath(), ref, e);
            code = "internal";
            message = "an internal error occurred; the server's log has it under reference " + ref;
        }
        return CompletableFuture.completedFuture(DataFetcherExceptionHandlerResult.newResult(GraphqlErrorBuilder
                .newError().message(message).path(p.getPath()).location(p.getSourceLocation())
                .extensions(Map.of("code", code)).build()).build());
    }
}
