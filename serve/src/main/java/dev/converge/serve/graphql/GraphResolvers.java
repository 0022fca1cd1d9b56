package dev.converge.serve.graphql;

import dev.converge.contracts.EntityId;
import dev.converge.serve.http.PredictionJson;
import dev.converge.serve.predict.BatchOutcome;
import dev.converge.serve.predict.PredictionService;
import dev.converge.serve.similarity.Similarity;
import graphql.GraphqlErrorBuilder;
import graphql.execution.DataFetcherResult;
import graphql.schema.DataFetcher;
import graphql.schema.DataFetchingEnvironment;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The resolvers of the schema's fields: entities and their features, history, predictions and neighbours, models and
 * their events, and the two mutations. Relations are read through the request's loaders ({@link GraphLoaders});
 * predictions go through the one {@link PredictionService} REST uses, and are said in REST's words
 * ({@link GraphAnswers}).
 */
final class GraphResolvers {
    private final GraphStore store;
    private final PredictionService service;
    private final Similarity similarity;
    private final String servedModel;

    GraphResolvers(GraphStore store, PredictionService service, Similarity similarity, String servedModel) {
        this.store = store;
        this.service = service;
        this.similarity = similarity;
        this.servedModel = servedModel;
    }

    /** Every field's resolver, by {@code Type.field}. */
    Map<String, DataFetcher<?>> fetchers() {
        Map<String, DataFetcher<?>> f = new LinkedHashMap<>();
        f.put("Query.entity", env -> {
            String set = env.getArgument("featureSet");
            String id = env.getArgument("id");
            String problem = entityProblem(id);
            if (problem != null) {
                return fieldError(env, "bad_entity_id", problem);
            }
            return GraphLoaders.latest(env).load(EntityId.key(set, id)).thenApply(l -> l == null ? null
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
            return GraphLoaders.latest(env).loadMany(keys).thenApply(found -> {
                List<EntityRef> out = new ArrayList<>(ids.size());
                for (int i = 0; i < ids.size(); i++) {
                    out.add(found.get(i) == null ? null : new EntityRef(ids.get(i), set, keys.get(i)));
                }
                return out;
            });
        });
        f.put("Entity.features", env -> GraphLoaders.latest(env).load(((EntityRef) env.getSource()).key())
                .thenApply(l -> l == null ? null : byTemperature(env.getArgument("temperature"), l.hot(), l.cold())));
        f.put("Entity.eventTimestamp", env -> GraphLoaders.latest(env).load(((EntityRef) env.getSource()).key())
                .thenApply(l -> l == null ? null : l.eventTimestamp()));
        f.put("Entity.history", env -> {
            Integer limit = env.getArgument("limit");
            return env.<GraphLoaders.HistoryKey, List<Map<String, Object>>>getDataLoader(GraphLoaders.HISTORY).load(new GraphLoaders.HistoryKey(
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
            return env.<String, GraphAnswers.Answered>getDataLoader(GraphLoaders.PREDICTIONS)
                    .load(((EntityRef) env.getSource()).id())
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
            return env.getDataLoader(GraphLoaders.VERSIONS).load(new GraphStore.VersionKey(
                    (String) m.get("name"), (Integer) m.get("version")));
        });
        f.put("Model.events", env -> {
            Map<String, Object> m = env.getSource();
            return env.<GraphStore.VersionKey, List<Map<String, Object>>>getDataLoader(GraphLoaders.EVENTS)
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
                    .thenApply(o -> GraphAnswers.Answered.of(o, elapsedMs(env)).toResult(env));
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
                    row.put("prediction", GraphAnswers.prediction(item));
                    row.put("errors", List.of());
                } else {
                    row.put("error", item.getString("error"));
                    row.put("errors", GraphAnswers.warnings(item.getJsonArray("errors")));
                }
                results.add(row);
            }
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("model", GraphAnswers.model(PredictionJson.model(r.model())));
            out.put("rows", r.rows().size());
            out.put("ok", ok);
            out.put("failed", r.rows().size() - ok);
            out.put("results", results);
            return out;
        }
        if (outcome instanceof BatchOutcome.BadSize b) {
            return fieldError(env, "bad_batch_size", "a batch holds 1.." + b.max() + " rows, this one has " + b.size());
        }
        return GraphAnswers.Answered.of(((BatchOutcome.Refused) outcome).why(), 0).toResult(env);
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

    static DataFetcherResult<Object> fieldError(DataFetchingEnvironment env, String code, String message) {
        return DataFetcherResult.newResult().error(GraphqlErrorBuilder.newError(env).message(message)
                .extensions(Map.of("code", code)).build()).build();
    }

    private static double elapsedMs(DataFetchingEnvironment env) {
        Long t0 = env.getGraphQlContext().get(GraphQlEngine.STARTED);
        return t0 == null ? 0 : Math.round((System.nanoTime() - t0) / 1e3) / 1e3;
    }
}
