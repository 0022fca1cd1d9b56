package dev.converge.serve.graphql;

import dev.converge.serve.config.GraphQlSettings;
import dev.converge.serve.config.ServeConfig;
import dev.converge.serve.http.PredictionJson;
import dev.converge.serve.pg.PgGateway;
import dev.converge.serve.pg.StatementTally;
import dev.converge.serve.predict.PredictionService;
import dev.converge.serve.similarity.Similarity;
import graphql.ExecutionInput;
import graphql.ExecutionResult;
import graphql.GraphQL;
import graphql.GraphQLError;
import graphql.GraphqlErrorBuilder;
import graphql.execution.preparsed.PreparsedDocumentEntry;
import graphql.introspection.Introspection;
import graphql.language.Document;
import graphql.parser.InvalidSyntaxException;
import graphql.parser.Parser;
import graphql.parser.ParserEnvironment;
import graphql.parser.ParserOptions;
import graphql.schema.DataFetcher;
import graphql.schema.GraphQLSchema;
import graphql.schema.idl.RuntimeWiring;
import graphql.schema.idl.SchemaGenerator;
import graphql.schema.idl.SchemaParser;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * GraphQL over the prediction service and the store: the schema of {@code graphql/converge.graphqls}, one
 * DataLoader per relation (made per request, so nothing leaks between requests), and the bounds of
 * {@link GraphLimits} checked before anything runs. A request is parsed, its aliases counted, validated, measured
 * and only then executed, from the document already parsed. Predictions are the {@link PredictionService}'s, encoded
 * by {@link PredictionJson} like REST's answers, so both transports say the same thing.
 */
public final class GraphQlEngine {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(GraphQlEngine.class);
    static final String SDL_RESOURCE = "/graphql/converge.graphqls";
    static final String TALLY = "converge.tally";
    static final String DOCUMENT = "converge.document";
    static final String STARTED = "converge.started";

    /** What a request comes to: the HTTP status and the GraphQL response body. */
    record Answer(int status, JsonObject body) {}

    private final String sdl;
    private final GraphQLSchema schema;
    private final GraphQL graphql;
    private final GraphStore store;
    private final PredictionService service;
    private final GraphQlSettings limits;
    private final GraphLimits bounds;
    private final String servedModel;
    private final Similarity similarity;

    /**
     * @param overrides data fetchers by {@code Type.field} that replace the built-in ones (tests: a resolver written
     *                  without a loader, for {@code check-dataloader} to catch)
     */
    public GraphQlEngine(ServeConfig config, PgGateway online, PredictionService service,
                  Map<String, java.util.function.Function<GraphStore, DataFetcher<?>>> overrides) {
        this.sdl = readSdl();
        this.store = new GraphStore(online);
        this.similarity = new Similarity(online);
        this.service = service;
        this.limits = config.graphql();
        this.bounds = new GraphLimits(limits);
        this.servedModel = config.model();
        RuntimeWiring.Builder wiring = RuntimeWiring.newRuntimeWiring().scalar(GraphScalars.JSON)
                .scalar(GraphScalars.DATE_TIME);
        @SuppressWarnings("rawtypes")
        Map<String, Map<String, DataFetcher>> byType = new LinkedHashMap<>();
        new GraphResolvers(store, service, similarity, config.model()).fetchers()
                .forEach((coordinates, f) -> put(byType, coordinates, f));
        overrides.forEach((coordinates, f) -> put(byType, coordinates, f.apply(store)));
        byType.forEach((type, fields) -> wiring.type(type, t -> t.dataFetchers(fields)));
        this.schema = new SchemaGenerator().makeExecutableSchema(new SchemaParser().parse(sdl), wiring.build());
        this.graphql = GraphQL.newGraphQL(schema).instrumentation(new graphql.execution.instrumentation.ChainedInstrumentation(
                        List.of(new FieldScopes(config.model()), new Tallying())))
                .defaultDataFetcherExceptionHandler(new FieldFailures())
                .preparsedDocumentProvider((input, parseAndValidate) -> CompletableFuture.completedFuture(
                        new PreparsedDocumentEntry((Document) input.getGraphQLContext().get(DOCUMENT))))
                .build();
    }

    @SuppressWarnings("rawtypes") // graphql-java's wiring takes raw DataFetchers
    private static void put(Map<String, Map<String, DataFetcher>> byType, String coordinates, DataFetcher<?> f) {
        String[] tf = coordinates.split("\\.", 2);
        byType.computeIfAbsent(tf[0], t -> new LinkedHashMap<>()).put(tf[1], f);
    }

    String sdl() {
        return sdl;
    }

    private static String readSdl() {
        try (InputStream in = GraphQlEngine.class.getResourceAsStream(SDL_RESOURCE)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException | NullPointerException e) {
            throw new IllegalStateException("the GraphQL schema " + SDL_RESOURCE + " is missing from the jar", e);
        }
    }

    /**
     * Runs one request. Refusals (syntax, validation, a bound) are answered 400 before anything runs; an executed
     * request is answered 200 with its data and per-field errors. With {@code tally}, the answer's
     * {@code extensions.statements} counts the SQL statements each resolver issued and each loader's batches.
     */
    Future<Answer> execute(Vertx vertx, String query, String operationName, Map<String, Object> variables,
                           boolean tally, long startedNanos, dev.converge.serve.access.Principal principal) {
        StatementTally statements = StatementTally.attach();
        StatementTally shown = tally ? statements : null;
        if (query == null || query.isBlank()) {
            return refused(GraphqlErrorBuilder.newError().message("the request has no query")
                    .extensions(Map.of("code", "bad_request")).build(), shown);
        }
        if (query.length() > limits.maxDocumentBytes()) {
            return refused(GraphLimits.refusal("document_too_large", "serve.graphql.max_document_bytes",
                    "the query document has " + query.length() + " characters", query.length(),
                    limits.maxDocumentBytes()), shown);
        }
        Map<String, Object> vars = variables == null ? Map.of() : variables;
        Checked c = check(query, operationName);
        List<GraphQLError> errors = new ArrayList<>(c.errors());
        if (errors.isEmpty()) {
            if (c.measured() != null) {
                errors.addAll(c.measured());
            } else {
                try {
                    errors.addAll(bounds.measure(schema, c.doc(), operationName, vars));
                } catch (RuntimeException e) { // variables that do not coerce, an unknown operation name
                    errors.add(GraphqlErrorBuilder.newError().message(e.getMessage())
                            .extensions(Map.of("code", "bad_request")).build());
                }
            }
        }
        if (!errors.isEmpty()) {
            return Future.succeededFuture(new Answer(400, body(errors, null, shown)));
        }
        Document doc = c.doc();
        Map<Object, Object> context = new HashMap<>();
        context.put(TALLY, statements);
        context.put(DOCUMENT, doc);
        context.put(STARTED, startedNanos);
        context.put(FieldScopes.PRINCIPAL, principal == null ? dev.converge.serve.access.Principal.ANYONE : principal);
        context.put(Introspection.INTROSPECTION_DISABLED, !limits.introspection());
        ExecutionInput input = ExecutionInput.newExecutionInput().query(query).operationName(operationName)
                .variables(vars).dataLoaderRegistry(GraphLoaders.registry(store, service, statements))
                .graphQLContext(context).build();
        Promise<Answer> answer = Promise.promise();
        long timer = vertx.setTimer(limits.timeoutMillis(), id -> answer.tryComplete(new Answer(200, body(List.of(
                GraphqlErrorBuilder.newError().message("the request was not answered within " + limits.timeoutMillis()
                        + " ms (serve.graphql.timeout_ms)").extensions(Map.of("code", "timeout")).build()), null,
                shown))));
        io.vertx.core.Context ctx = vertx.getOrCreateContext();
        graphql.executeAsync(input).whenComplete((result, failure) -> ctx.runOnContext(v -> {
            vertx.cancelTimer(timer);
            if (failure != null) {
                String ref = Long.toHexString(java.util.concurrent.ThreadLocalRandom.current().nextLong()
                        & 0xffffffffffffL);
                LOG.error("GraphQL execution failed, reference {}", ref, failure);
                answer.tryComplete(new Answer(500, body(List.of(GraphqlErrorBuilder.newError().message("an internal "
                        + "error occurred; the server's log has it under reference " + ref)
                        .extensions(Map.of("code", "internal")).build()), null, null)));
            } else {
                answer.tryComplete(new Answer(200, body(result.getErrors(), result, shown)));
            }
        }));
        return answer.future();
    }

    /**
     * A document as checked once: parsed, its aliases counted and validated (none of which depends on the
     * variables), and measured when no list size comes from a variable ({@code measured} null: measured per request).
     */
    private record Checked(Document doc, List<GraphQLError> errors, List<GraphQLError> measured) {}

    /** Most documents a server sees are a few texts sent again and again with new variables. */
    static final int CHECKED_DOCUMENTS = 1000;
    private final Map<String, Checked> checked = java.util.Collections.synchronizedMap(
            new LinkedHashMap<>(256, 0.75f, true) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<String, Checked> eldest) {
                    return size() > CHECKED_DOCUMENTS;
                }
            });

    /**
     * Parses, counts aliases and validates a document, once per text and operation name (a bounded LRU of
     * {@link #CHECKED_DOCUMENTS}): the three took 46% of a GraphQL prediction's time on the event loop (JFR).
     */
    private Checked check(String query, String operationName) {
        String key = operationName == null ? query : operationName + "\u0000" + query;
        Checked c = checked.get(key);
        if (c != null) {
            return c;
        }
        Document doc;
        try {
            doc = Parser.parse(ParserEnvironment.newParserEnvironment().document(query).parserOptions(ParserOptions
                    .newParserOptions().maxCharacters(limits.maxDocumentBytes()).maxTokens(15_000)
                    .maxRuleDepth(200).captureSourceLocation(true).build()).build());
        } catch (InvalidSyntaxException e) {
            c = new Checked(null, List.of(e.toInvalidSyntaxError()), null);
            checked.put(key, c);
            return c;
        }
        List<GraphQLError> errors = new ArrayList<>(bounds.aliases(doc));
        if (errors.isEmpty()) {
            errors.addAll(new graphql.validation.Validator().validateDocument(schema, doc, Locale.ROOT));
        }
        List<GraphQLError> measured = null;
        if (errors.isEmpty() && !GraphLimits.sizedByVariables(doc)) {
            try {
                measured = bounds.measure(schema, doc, operationName, Map.of());
            } catch (RuntimeException e) { // e.g. a required variable: measured per request, with its value
                measured = null;
            }
        }
        c = new Checked(doc, List.copyOf(errors), measured == null ? null : List.copyOf(measured));
        checked.put(key, c);
        return c;
    }

    private static Future<Answer> refused(GraphQLError error, StatementTally tally) {
        return Future.succeededFuture(new Answer(400, body(List.of(error), null, tally)));
    }

    private static JsonObject body(List<GraphQLError> errors, ExecutionResult result, StatementTally tally) {
        JsonObject o = new JsonObject();
        if (!errors.isEmpty()) {
            JsonArray a = new JsonArray();
            errors.forEach(e -> a.add(new JsonObject(e.toSpecification())));
            o.put("errors", a);
        }
        if (result != null && result.isDataPresent()) {
            Map<String, Object> data = result.getData();
            o.put("data", data == null ? null : new JsonObject(data));
        }
        if (tally != null) {
            o.put("extensions", new JsonObject().put("statements", new JsonObject(tally.toMap())));
        }
        return o;
    }
}
