package dev.converge.serve.graphql;

import dev.converge.serve.config.GraphQlSettings;
import graphql.GraphQLError;
import graphql.GraphqlErrorBuilder;
import graphql.analysis.QueryTraverser;
import graphql.analysis.QueryVisitorFieldEnvironment;
import graphql.language.Document;
import graphql.language.Field;
import graphql.language.FragmentDefinition;
import graphql.language.InlineFragment;
import graphql.language.Node;
import graphql.language.OperationDefinition;
import graphql.language.SelectionSet;
import graphql.schema.GraphQLSchema;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The bounds a GraphQL request must keep before it runs (so a refused one touches no database): aliases, depth,
 * list arguments and a cost budget. Each refusal is a GraphQL error naming the setting, the measured value and the
 * bound, with {@code extensions.code}. Introspection's own fields ({@code __schema}, {@code __type}) are not counted:
 * they are bounded by the schema, and turned off with {@code serve.graphql.introspection=off}.
 */
final class GraphLimits {
    /** Fields whose children repeat once per element of a list argument: the argument, or a fixed guess. */
    private static final Map<String, String> LIST_ARGUMENT = Map.of("Query.entities", "ids", "Entity.history",
            "limit", "Query.models", "last", "Mutation.predictBatch", "rows", "Entity.similar", "k");
    /** A list with no size argument (a version's events) counts as this many elements. */
    static final int UNSIZED_LIST = 10;

    private final GraphQlSettings limits;

    GraphLimits(GraphQlSettings limits) {
        this.limits = limits;
    }

    /** The aliased fields of the document as written (fragments counted once): checked before validation. */
    List<GraphQLError> aliases(Document doc) {
        int[] n = {0};
        for (Node<?> def : doc.getDefinitions()) {
            if (def instanceof OperationDefinition o) {
                countAliases(o.getSelectionSet(), n);
            } else if (def instanceof FragmentDefinition f) {
                countAliases(f.getSelectionSet(), n);
            }
        }
        return n[0] > limits.maxAliases() ? List.of(refusal("too_many_aliases", "serve.graphql.max_aliases",
                "the document has " + n[0] + " aliased fields", n[0], limits.maxAliases())) : List.of();
    }

    private static void countAliases(SelectionSet set, int[] n) {
        if (set == null) {
            return;
        }
        for (var sel : set.getSelections()) {
            if (sel instanceof Field f) {
                if (f.getAlias() != null) {
                    n[0]++;
                }
                countAliases(f.getSelectionSet(), n);
            } else if (sel instanceof InlineFragment i) {
                countAliases(i.getSelectionSet(), n);
            }
        }
    }

    /**
     * Whether the measure can depend on the variables: a list size argument ({@code ids}, {@code limit},
     * {@code last}, {@code rows}) given as a variable, or a directive ({@code @include(if: $x)} decides which fields
     * run).
     */
    static boolean sizedByVariables(Document doc) {
        boolean[] found = {false};
        new graphql.language.NodeTraverser().depthFirst(new graphql.language.NodeVisitorStub() {
            @Override
            public graphql.util.TraversalControl visitArgument(graphql.language.Argument node,
                                                               graphql.util.TraverserContext<Node> context) {
                if (LIST_ARGUMENT.containsValue(node.getName())
                        && node.getValue() instanceof graphql.language.VariableReference) {
                    found[0] = true;
                }
                return graphql.util.TraversalControl.CONTINUE;
            }

            @Override
            public graphql.util.TraversalControl visitDirective(graphql.language.Directive node,
                                                                graphql.util.TraverserContext<Node> context) {
                found[0] = true;
                return graphql.util.TraversalControl.CONTINUE;
            }
        }, doc);
        return found[0];
    }

    /** Depth, list arguments and cost of a validated document's operation, fragments expanded. */
    List<GraphQLError> measure(GraphQLSchema schema, Document doc, String operationName, Map<String, Object> variables) {
        QueryTraverser traverser = QueryTraverser.newQueryTraverser().schema(schema).document(doc)
                .operationName(operationName).variables(variables).build();
        int[] depth = {0};
        long[] cost = {0};
        List<GraphQLError> argumentErrors = new ArrayList<>();
        Map<String, Object> seen = new LinkedHashMap<>();
        traverser.visitPreOrder(new graphql.analysis.QueryVisitorStub() {
            @Override
            public void visitField(QueryVisitorFieldEnvironment env) {
                if (introspection(env)) {
                    return;
                }
                int d = 0;
                long multiplier = 1;
                for (QueryVisitorFieldEnvironment p = env.getParentEnvironment(); p != null;
                     p = p.getParentEnvironment()) {
                    d++;
                    multiplier = Math.min(Long.MAX_VALUE / 1024, multiplier * elements(p));
                }
                depth[0] = Math.max(depth[0], d + 1);
                String coordinates = coordinates(env);
                cost[0] = Math.min(Long.MAX_VALUE / 2, cost[0] + multiplier * limits.weight(coordinates));
                checkArguments(env, coordinates, argumentErrors, seen);
            }
        });
        List<GraphQLError> errors = new ArrayList<>(argumentErrors);
        if (depth[0] > limits.maxDepth()) {
            errors.add(refusal("query_too_deep", "serve.graphql.max_depth", "the query nests fields " + depth[0]
                    + " deep", depth[0], limits.maxDepth()));
        }
        if (cost[0] > limits.maxCost()) {
            errors.add(refusal("query_too_costly", "serve.graphql.max_cost", "the query costs " + cost[0]
                    + " (each field's weight times the sizes of the lists above it)", cost[0], limits.maxCost()));
        }
        return errors;
    }

    private void checkArguments(QueryVisitorFieldEnvironment env, String coordinates, List<GraphQLError> errors,
                                Map<String, Object> seen) {
        String arg = LIST_ARGUMENT.get(coordinates);
        if (arg == null || seen.containsKey(coordinates + "/" + env.getArguments().get(arg))) {
            return;
        }
        seen.put(coordinates + "/" + env.getArguments().get(arg), true);
        Object v = env.getArguments().get(arg);
        if (v instanceof List<?> l && arg.equals("ids") && l.size() > limits.maxIds()) {
            errors.add(refusal("too_many_ids", "serve.graphql.max_ids", coordinates + "(" + arg + ") has " + l.size()
                    + " ids", l.size(), limits.maxIds()));
        } else if (v instanceof Number n && (n.longValue() < 1 || n.longValue() > limits.maxLimit())) {
            errors.add(refusal("limit_out_of_range", "serve.graphql.max_limit", coordinates + "(" + arg + ") is "
                    + n + "; it must be within 1.." + limits.maxLimit(), n.longValue(), limits.maxLimit()));
        }
    }

    /** How many times a field's children repeat: the size of its list argument, else 1 (or a guess for a list). */
    private static long elements(QueryVisitorFieldEnvironment env) {
        String arg = LIST_ARGUMENT.get(coordinates(env));
        if (arg != null) {
            Object v = env.getArguments().get(arg);
            if (v instanceof List<?> l) {
                return Math.max(1, l.size());
            }
            if (v instanceof Number n) {
                return Math.max(1, n.longValue());
            }
        }
        return graphql.schema.GraphQLTypeUtil.isList(graphql.schema.GraphQLTypeUtil.unwrapNonNull(
                env.getFieldDefinition().getType())) ? UNSIZED_LIST : 1;
    }

    private static boolean introspection(QueryVisitorFieldEnvironment env) {
        for (QueryVisitorFieldEnvironment e = env; e != null; e = e.getParentEnvironment()) {
            if (e.getField().getName().startsWith("__")) {
                return true;
            }
        }
        return false;
    }

    static String coordinates(QueryVisitorFieldEnvironment env) {
        return env.getFieldsContainer().getName() + "." + env.getFieldDefinition().getName();
    }

    /** A refused request's error: names the setting, the measured value and the bound. */
    static GraphQLError refusal(String code, String setting, String what, long measured, long bound) {
        Map<String, Object> ext = new LinkedHashMap<>();
        ext.put("code", code);
        ext.put("limit", setting);
        ext.put("measured", measured);
        ext.put("budget", bound);
        return GraphqlErrorBuilder.newError().message(what + ", over the bound of " + bound + " (" + setting
                + "); nothing was run").errorType(graphql.ErrorClassification.errorClassification("QueryLimit"))
                .extensions(ext).build();
    }
}
