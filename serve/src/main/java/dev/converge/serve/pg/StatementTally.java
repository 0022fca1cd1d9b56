package dev.converge.serve.pg;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.internal.VertxBootstrap;
import io.vertx.core.spi.VertxServiceProvider;
import io.vertx.core.spi.context.storage.AccessMode;
import io.vertx.core.spi.context.storage.ContextLocal;
import java.util.Map;
import java.util.TreeMap;

/**
 * The SQL statements one request made, by the GraphQL field whose resolver asked for them, and the batches each
 * field's DataLoader dispatched: what {@code converge check-dataloader} reads to tell a batched resolver from one
 * that queries per entity. A request's tally lives on its Vert.x (duplicated) context, so that a statement issued
 * deep in the prediction path is counted for the request that caused it, with no parameter threaded through.
 * Registered as a Vert.x service provider because context locals must exist before a Vert.x instance is made.
 * Touched on the request's event loop only.
 */
public final class StatementTally {
    /** The current request's tally, if it asked for one. */
    static final ContextLocal<StatementTally> LOCAL = ContextLocal.registerLocal(StatementTally.class);

    /** Loads {@link #LOCAL} before any Vert.x instance exists (META-INF/services). */
    public static final class Provider implements VertxServiceProvider {
        @Override
        public void init(VertxBootstrap builder) {
            LOCAL.getClass(); // the field's initialisation registers the local
        }
    }

    private final Map<String, Integer> statements = new TreeMap<>();
    private final Map<String, Integer> batches = new TreeMap<>();
    private final Map<String, Integer> resolved = new TreeMap<>();
    private String field = "(outside a resolver)";

    /** Attaches a new tally to the current context (the request's), and returns it. */
    public static StatementTally attach() {
        StatementTally t = new StatementTally();
        Context ctx = Vertx.currentContext();
        if (ctx != null) {
            ctx.putLocal(LOCAL, AccessMode.CONCURRENT, t);
        }
        return t;
    }

    /** Counts one statement for the current request's resolver, if the request keeps a tally. */
    static void statement() {
        Context ctx = Vertx.currentContext();
        StatementTally t = ctx == null ? null : ctx.getLocal(LOCAL, AccessMode.CONCURRENT);
        if (t != null) {
            t.statements.merge(t.field, 1, Integer::sum);
        }
    }

    /**
     * Runs {@code work} with its statements counted for {@code fieldName} ({@code Type.field}); the statements a
     * resolver issues are issued synchronously from it (the SQL client sends later, but is asked now).
     */
    public <T> T within(String fieldName, java.util.function.Supplier<T> work) {
        String outer = field;
        field = fieldName;
        try {
            return work.get();
        } finally {
            field = outer;
        }
    }

    /** A resolver (not a loader's batch) ran for {@code fieldName}: once per parent object. */
    public void resolved(String fieldName) {
        resolved.merge(fieldName, 1, Integer::sum);
    }

    public void batch(String fieldName) {
        batches.merge(fieldName, 1, Integer::sum);
    }

    int total() {
        return statements.values().stream().mapToInt(Integer::intValue).sum();
    }

    /**
     * {@code {"total": n, "by_field": {...}, "batches": {...}, "resolved": {...}}}: statements by the field (or
     * loader) that issued them, each loader's batches, and how many times each resolver ran. The form
     * {@code check-dataloader} reads.
     */
    public Map<String, Object> toMap() {
        return Map.of("total", total(), "by_field", new TreeMap<>(statements), "batches", new TreeMap<>(batches),
                "resolved", new TreeMap<>(resolved));
    }
}
