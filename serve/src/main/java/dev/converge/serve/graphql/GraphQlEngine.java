package dev.converge.serve.graphql;

import dev.converge.serve.config.GraphQlSettings;
import dev.converge.contracts.EntityId;
import dev.converge.contracts.Violation;
import dev.converge.serve.config.ServeConfig;
import dev.converge.serve.http.PredictionJson;
import dev.converge.serve.pg.PgGateway;
import dev.converge.serve.pg.StatementTally;
import dev.converge.serve.predict.BatchOutcome;
import dev.converge.serve.predict.OverloadedException;
import dev.converge.serve.predict.PredictionOutcome;
import dev.converge.serve.predict.PredictionService;
import dev.converge.serve.resilience.Failures;
import dev.converge.serve.similarity.Similarity;
import graphql.ExecutionInput;
import graphql.ExecutionResult;
import graphql.GraphQL;
import graphql.GraphQLError;
import graphql.GraphqlErrorBuilder;
import graphql.execution.DataFetcherExceptionHandler;
import graphql.execution.DataFetcherExceptionHandlerResult;
import graphql.execution.DataFetcherResult;
import graphql.execution.instrumentation.Instrumentation;
import graphql.execution.instrumentation.InstrumentationState;
import graphql.execution.instrumentation.parameters.InstrumentationFieldFetchParameters;
import graphql.execution.preparsed.PreparsedDocumentEntry;
import graphql.introspection.Introspection;
import graphql.language.Document;
import graphql.parser.InvalidSyntaxException;
import graphql.parser.Parser;
import graphql.parser.ParserEnvironment;
import graphql.parser.ParserOptions;
import graphql.schema.DataFetcher;
import graphql.schema.DataFetchingEnvironment;
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
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.dataloader.BatchLoader;
import org.dataloader.DataLoader;
import org.dataloader.DataLoaderFactory;
import org.dataloader.DataLoaderRegistry;

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
    private static final String TALLY = "converge.tally";
    private static final String DOCUMENT = "converge.document";
    private static final String STARTED = "converge.started";
    /** The loaders, by what they read: the statement tally names them so. */
    private static final String LATEST = "online features";
    private static final String HISTORY = "feature history";
    private static final String PREDICTIONS = "predictions";
    private static final String VERSIONS = "model versions";
    private static final String EVENTS = "model events";

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
        fetchers().forEach((coordinates, f) -> put(byType, coordinates, f));
        overrides.forEach((coordinates, f) -> put(byType, coordinates, f.apply(store)));
        byType.forEach((type, fields) -> wiring.type(type, t -> t.dataFetchers(fields)));
        this.schema = new SchemaGenerator().makeExecutableSchema(new SchemaParser().parse(sdl), wiring.build());
        this.graphql = GraphQL.newGraphQL(schema).instrumentation(new Tallying())
                .defaultDataFetcherExceptionHandler(new Failures())
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
                           boolean tally, long startedNanos) {
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
        context.put(Introspection.INTROSPECTION_DISABLED, !limits.introspection());
        ExecutionInput input = ExecutionInput.newExecutionInput().query(query).operationName(operationName)
                .variables(vars).dataLoaderRegistry(loaders(statements)).graphQLContext(context).build();
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

    // ---- resolvers ----

    private Map<String, DataFetcher<?>> fetchers() {
        Map<String, DataFetcher<?>> f = new LinkedHashMap<>();
        f.put("Query.entity", env -> {
            String set = env.getArgument("featureSet");
            String id = env.getArgument("id");
            String problem = entityProblem(id);
            if (problem != null) {
                return fieldError(env, "bad_entity_id", problem);
            }
            return latest(env).load(EntityId.key(set, id)).thenApply(l -> l == null ? null
                    : new EntityRef(id, set, EntityId.key(set, id)));
        });
        f.put("Query.entities", env -> {
            String set = env.getArgument("featureSet");
            List<String> ids = env.getArgument("ids");
            for (String id : ids) {
                String problem = entityProblem(id);
                if (problem != null) {
                    return fieldError(env, "bad_entity_id", problem);
                }
            }
            List<String> keys = ids.stream().map(id -> EntityId.key(set, id)).toList();
            return latest(env).loadMany(keys).thenApply(found -> {
                List<EntityRef> out = new ArrayList<>(ids.size());
                for (int i = 0; i < ids.size(); i++) {
                    out.add(found.get(i) == null ? null : new EntityRef(ids.get(i), set, keys.get(i)));
                }
                return out;
            });
        });
        f.put("Entity.features", env -> latest(env).load(((EntityRef) env.getSource()).key())
                .thenApply(l -> l == null ? null : byTemperature(env.getArgument("temperature"), l.hot(), l.cold())));
        f.put("Entity.eventTimestamp", env -> latest(env).load(((EntityRef) env.getSource()).key())
                .thenApply(l -> l == null ? null : l.eventTimestamp()));
        f.put("Entity.history", env -> {
            Integer limit = env.getArgument("limit");
            return env.<HistoryKey, List<Map<String, Object>>>getDataLoader(HISTORY).load(new HistoryKey(
                    ((EntityRef) env.getSource()).key(), new GraphStore.HistoryArgs(env.getArgument("from"),
                    env.getArgument("to"), limit == null ? 10 : limit)));
        });
        f.put("FeatureRow.features", env -> {
            Map<String, Object> row = env.getSource();
            @SuppressWarnings("unchecked")
            Map<String, Object> hot = (Map<String, Object>) row.get("hot");
            @SuppressWarnings("unchecked")
            Map<String, Object> cold = (Map<String, Object>) row.get("cold");
            return byTemperature(env.getArgument("temperature"), hot, cold);
        });
        f.put("Entity.prediction", env -> {
            String model = env.getArgument("model");
            if (model != null && !model.equals(servedModel)) {
                return fieldError(env, "unknown_model", "this server serves model '" + servedModel + "', not '"
                        + model + "'");
            }
            return env.<String, Answered>getDataLoader(PREDICTIONS).load(((EntityRef) env.getSource()).id())
                    .thenApply(a -> a.toResult(env));
        });
        f.put("Entity.similar", env -> {
            EntityRef e = env.getSource();
            Integer k = env.getArgument("k");
            Integer ef = env.getArgument("efSearch");
            Object filter = env.getArgument("filter");
            if (k == null || k < 1 || k > Similarity.MAX_K) {
                return fieldError(env, "bad_argument", "k must be within [1, " + Similarity.MAX_K + "], was " + k);
            }
            if (ef != null && (ef < 1 || ef > 1000)) {
                return fieldError(env, "bad_argument", "efSearch must be within [1, 1000], was " + ef);
            }
            if (filter != null && !(filter instanceof Map)) {
                return fieldError(env, "bad_argument", "filter must be a JSON object of feature values");
            }
            @SuppressWarnings("unchecked")
            JsonObject filterJson = filter == null ? null : new JsonObject((Map<String, Object>) filter);
            String set = e.featureSet() == null ? "" : e.featureSet();
            return similarity.ofEntity(e.id(), new Similarity.Query(env.getArgument("feature"), k, set, filterJson, ef))
                    .<Object>map(a -> {
                        List<Map<String, Object>> neighbours = new ArrayList<>();
                        for (Object o : a.getJsonArray("neighbours")) {
                            JsonObject n = (JsonObject) o;
                            String id = n.getString("entity_id");
                            Map<String, Object> m = new java.util.HashMap<>();
                            m.put("entity", new EntityRef(id, e.featureSet(), EntityId.key(set, id)));
                            m.put("distance", n.getDouble("distance"));
                            neighbours.add(m);
                        }
                        Map<String, Object> out = new java.util.HashMap<>();
                        out.put("feature", a.getString("feature"));
                        out.put("metric", a.getString("metric"));
                        out.put("exact", a.getBoolean("exact"));
                        out.put("search", a.getString("search"));
                        out.put("efSearch", a.getInteger("ef_search"));
                        out.put("why", a.getString("why"));
                        out.put("neighbours", neighbours);
                        return out;
                    }).recover(t -> t instanceof Similarity.Refused r
                            ? Future.<Object>succeededFuture(fieldError(env, r.code, r.getMessage()))
                            : Future.failedFuture(t)).toCompletionStage();
        });
        f.put("PredictionModel.registered", env -> {
            Map<String, Object> m = env.getSource();
            return env.getDataLoader(VERSIONS).load(new GraphStore.VersionKey(
                    (String) m.get("name"), (Integer) m.get("version")));
        });
        f.put("Model.events", env -> {
            Map<String, Object> m = env.getSource();
            return env.<GraphStore.VersionKey, List<Map<String, Object>>>getDataLoader(EVENTS)
                    .load(new GraphStore.VersionKey((String) m.get("name"), (Integer) m.get("version")))
                    .thenApply(l -> l == null ? List.of() : l);
        });
        f.put("Query.model", env -> {
            String name = env.getArgument("name");
            Integer version = env.getArgument("version");
            Future<Map<String, Object>> m = version == null
                    ? store.models(name, 1).map(l -> l.isEmpty() ? null : l.get(0))
                    : store.versions(List.of(new GraphStore.VersionKey(name, version)))
                    .map(found -> found.get(new GraphStore.VersionKey(name, version)));
            return m.toCompletionStage();
        });
        f.put("Query.models", env -> store.models(env.getArgument("name"), env.<Integer>getArgument("last"))
                .toCompletionStage());
        f.put("Query.champion", env -> store.champion(env.getArgument("name")).toCompletionStage());
        f.put("Mutation.predict", env -> {
            Map<String, Object> input = env.getArgument("input");
            return service.predict(restRequest(input)).toCompletionStage()
                    .thenApply(o -> Answered.of(o, elapsedMs(env)).toResult(env));
        });
        f.put("Mutation.predictBatch", env -> {
            List<Map<String, Object>> rows = env.getArgument("rows");
            List<Object> requests = new ArrayList<>(rows.size());
            rows.forEach(r -> requests.add(restRequest(r)));
            return service.predictBatch(requests).toCompletionStage().thenApply(b -> batch(env, b));
        });
        return f;
    }

    private static String entityProblem(String id) {
        java.util.Optional<String> p = EntityId.problem(id);
        return p.map(why -> "entity id '" + id + "': " + why).orElse(null);
    }

    /** The REST form of a GraphQL prediction input, for the one decoder both transports share. */
    private static Map<String, Object> restRequest(Map<String, Object> input) {
        Map<String, Object> r = new LinkedHashMap<>();
        if (input.containsKey("entityId")) {
            r.put("entity_id", input.get("entityId"));
        }
        if (input.containsKey("features")) {
            r.put("features", input.get("features"));
        }
        if (input.get("eventTime") instanceof Instant t) {
            r.put("event_time", t.toString());
        }
        if (input.containsKey("modelVersion")) {
            r.put("model_version", input.get("modelVersion"));
        }
        return r;
    }

    private Object batch(DataFetchingEnvironment env, BatchOutcome outcome) {
        if (outcome instanceof BatchOutcome.Rows r) {
            List<Map<String, Object>> results = new ArrayList<>();
            int ok = 0;
            for (int i = 0; i < r.rows().size(); i++) {
                JsonObject item = PredictionJson.batchItem(i, r.rows().get(i));
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("index", i);
                row.put("ok", item.getBoolean("ok"));
                if (item.getBoolean("ok")) {
                    ok++;
                    row.put("prediction", graphPrediction(item));
                    row.put("errors", List.of());
                } else {
                    row.put("error", item.getString("error"));
                    row.put("errors", warnings(item.getJsonArray("errors")));
                }
                results.add(row);
            }
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("model", graphModel(PredictionJson.model(r.model())));
            out.put("rows", r.rows().size());
            out.put("ok", ok);
            out.put("failed", r.rows().size() - ok);
            out.put("results", results);
            return out;
        }
        if (outcome instanceof BatchOutcome.BadSize b) {
            return fieldError(env, "bad_batch_size", "a batch holds 1.." + b.max() + " rows, this one has " + b.size());
        }
        return Answered.of(((BatchOutcome.Refused) outcome).why(), 0).toResult(env);
    }

    // ---- the loaders of one request ----

    /** An entity as resolved: the id asked for, its feature set and the key it is stored under. */
    public record EntityRef(String id, String featureSet, String key) {}

    private record HistoryKey(String key, GraphStore.HistoryArgs args) {}

    private static DataLoader<String, GraphStore.Latest> latest(DataFetchingEnvironment env) {
        return env.getDataLoader(LATEST);
    }

    private DataLoaderRegistry loaders(StatementTally tally) {
        DataLoaderRegistry r = new DataLoaderRegistry();
        r.register(LATEST, loader(LATEST, tally, (List<String> keys) -> store.latest(keys)
                .map(found -> keys.stream().map(found::get).toList())));
        r.register(HISTORY, loader(HISTORY, tally, (List<HistoryKey> keys) -> {
            // One statement per distinct (from, to, limit): normally one per batch.
            Map<GraphStore.HistoryArgs, List<String>> groups = new LinkedHashMap<>();
            keys.forEach(k -> groups.computeIfAbsent(k.args(), a -> new ArrayList<>()).add(k.key()));
            List<Future<Map<String, List<Map<String, Object>>>>> parts = new ArrayList<>();
            groups.forEach((args, ks) -> parts.add(store.history(ks, args)));
            for (int i = 1; i < groups.size(); i++) {
                tally.batch(HISTORY); // each group is a batch of its own
            }
            return Future.all(parts).map(all -> {
                Map<GraphStore.HistoryArgs, Map<String, List<Map<String, Object>>>> byArgs = new HashMap<>();
                int i = 0;
                for (GraphStore.HistoryArgs a : groups.keySet()) {
                    byArgs.put(a, parts.get(i++).result());
                }
                return keys.stream().map(k -> byArgs.get(k.args()).getOrDefault(k.key(), List.of())).toList();
            });
        }));
        r.register(PREDICTIONS, loader(PREDICTIONS, tally, (List<String> ids) -> {
            List<Object> rows = new ArrayList<>(ids.size());
            ids.forEach(id -> rows.add(Map.of("entity_id", id)));
            return service.predictBatch(rows).map(outcome -> {
                List<Answered> out = new ArrayList<>(ids.size());
                for (int i = 0; i < ids.size(); i++) {
                    out.add(outcome instanceof BatchOutcome.Rows r2 ? Answered.of(r2.rows().get(i), 0)
                            : outcome instanceof BatchOutcome.Refused ref ? Answered.of(ref.why(), 0)
                            : Answered.failed("bad_batch_size", "the batch of " + ids.size() + " entities is larger"
                            + " than serve.batch_max_rows", List.of()));
                }
                return out;
            });
        }));
        r.register(VERSIONS, loader(VERSIONS, tally,
                (List<GraphStore.VersionKey> keys) -> store.versions(keys)
                        .map(found -> keys.stream().map(found::get).toList())));
        r.register(EVENTS, loader(EVENTS, tally, (List<GraphStore.VersionKey> keys) -> store
                .events(keys).map(found -> keys.stream().map(k -> found.getOrDefault(k, List.of())).toList())));
        return r;
    }

    /**
     * A loader whose batches are tallied, with the statements they issue counted for {@code name}; a failed
     * statement fails the keys of its batch, and the rest of the answer stands.
     */
    private static <K, V> DataLoader<K, V> loader(String name, StatementTally tally,
                                                  java.util.function.Function<List<K>, Future<List<V>>> batch) {
        BatchLoader<K, V> fn = keys -> {
            tally.batch(name);
            return tally.within(name, () -> batch.apply(keys)).toCompletionStage();
        };
        return DataLoaderFactory.newDataLoader(name, fn, org.dataloader.DataLoaderOptions.newDefaultOptions());
    }

    // ---- predictions, in REST's words ----

    /** A prediction outcome as a GraphQL field's data or error. */
    private record Answered(Map<String, Object> data, String code, String message, List<Map<String, Object>> errors) {
        static Answered of(PredictionOutcome o, double latencyMs) {
            if (o instanceof PredictionOutcome.Scored || o instanceof PredictionOutcome.Degraded) {
                return new Answered(graphPrediction(PredictionJson.answer(o, latencyMs)), null, null, null);
            }
            if (o instanceof PredictionOutcome.Invalid i) {
                return failed("invalid_features", "the features break model '" + i.model().name() + "' v"
                        + i.model().version() + "'s contract", warnings(PredictionJson.violations(i.violations())));
            }
            if (o instanceof PredictionOutcome.UnknownEntity u) {
                Violation v = PredictionJson.unknownEntity(u);
                return failed("unknown_entity", v.message(), warnings(PredictionJson.violations(List.of(v))));
            }
            if (o instanceof PredictionOutcome.Malformed m) {
                return failed("bad_request", "the request does not have the expected shape",
                        warnings(PredictionJson.violations(m.violations())));
            }
            if (o instanceof PredictionOutcome.Shed s) {
                return failed("overloaded", "the server is at capacity (" + s.detail() + "); retry after 1 s",
                        List.of());
            }
            if (o instanceof PredictionOutcome.NotReady n) {
                return failed("not_ready", n.reason(), List.of());
            }
            throw new IllegalStateException("unexpected outcome " + o);
        }

        static Answered failed(String code, String message, List<Map<String, Object>> errors) {
            return new Answered(null, code, message, errors);
        }

        Object toResult(DataFetchingEnvironment env) {
            if (data != null) {
                return data;
            }
            Map<String, Object> ext = new LinkedHashMap<>();
            ext.put("code", code);
            if (!errors.isEmpty()) {
                ext.put("errors", errors);
            }
            return DataFetcherResult.newResult().error(GraphqlErrorBuilder.newError(env).message(message)
                    .extensions(ext).build()).build();
        }
    }

    /** REST's answer body, renamed to the GraphQL type's fields. */
    private static Map<String, Object> graphPrediction(JsonObject rest) {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("predictionId", rest.getString("prediction_id"));
        p.put("value", rest.getValue("prediction"));
        JsonObject probs = rest.getJsonObject("probabilities");
        p.put("probabilities", probs == null ? null : probs.getMap());
        p.put("model", rest.getJsonObject("model") == null ? null : graphModel(rest.getJsonObject("model")));
        p.put("threshold", rest.getValue("threshold"));
        p.put("latencyMs", rest.getValue("latency_ms"));
        p.put("cached", rest.getBoolean("cached"));
        p.put("degraded", rest.getBoolean("degraded"));
        p.put("degradedReason", rest.getString("degraded_reason"));
        p.put("warnings", warnings(rest.getJsonArray("warnings")));
        return p;
    }

    private static Map<String, Object> graphModel(JsonObject m) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("name", m.getString("name"));
        out.put("version", m.getInteger("version"));
        out.put("variant", m.getString("variant"));
        out.put("threshold", m.getValue("threshold"));
        out.put("thresholdMetric", m.getString("threshold_metric"));
        return out;
    }

    private static List<Map<String, Object>> warnings(JsonArray a) {
        List<Map<String, Object>> out = new ArrayList<>();
        if (a != null) {
            for (int i = 0; i < a.size(); i++) {
                out.add(a.getJsonObject(i).getMap());
            }
        }
        return out;
    }

    private static Object byTemperature(String temperature, Map<String, Object> hot, Map<String, Object> cold) {
        return switch (temperature == null ? "ALL" : temperature) {
            case "HOT" -> hot;
            case "COLD" -> cold == null ? Map.of() : cold;
            default -> {
                Map<String, Object> all = new LinkedHashMap<>(hot);
                if (cold != null) {
                    all.putAll(cold);
                }
                yield all;
            }
        };
    }

    private static DataFetcherResult<Object> fieldError(DataFetchingEnvironment env, String code, String message) {
        return DataFetcherResult.newResult().error(GraphqlErrorBuilder.newError(env).message(message)
                .extensions(Map.of("code", code)).build()).build();
    }

    private static double elapsedMs(DataFetchingEnvironment env) {
        Long t0 = env.getGraphQlContext().get(STARTED);
        return t0 == null ? 0 : Math.round((System.nanoTime() - t0) / 1e3) / 1e3;
    }

    /** Counts, per request, the statements a resolver issues while it runs (loaders count their own). */
    private static final class Tallying implements Instrumentation {
        @Override
        public DataFetcher<?> instrumentDataFetcher(DataFetcher<?> fetcher, InstrumentationFieldFetchParameters p,
                                                    InstrumentationState state) {
            if (p.isTrivialDataFetcher()) {
                return fetcher;
            }
            return env -> {
                StatementTally tally = env.getGraphQlContext().get(TALLY);
                String coordinates = env.getParentType() instanceof graphql.schema.GraphQLNamedType t
                        ? t.getName() + "." + env.getField().getName() : env.getField().getName();
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

    /**
     * A resolver's failure as a clean error on its field: overload and an unavailable store say so; anything else
     * is logged under a reference and named only by it (no SQL or class names in answers).
     */
    private static final class Failures implements DataFetcherExceptionHandler {
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
}
