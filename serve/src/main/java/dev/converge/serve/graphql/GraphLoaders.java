package dev.converge.serve.graphql;

import dev.converge.serve.pg.StatementTally;
import dev.converge.serve.predict.BatchOutcome;
import dev.converge.serve.predict.PredictionService;
import graphql.schema.DataFetchingEnvironment;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.dataloader.BatchLoader;
import org.dataloader.DataLoader;
import org.dataloader.DataLoaderFactory;
import org.dataloader.DataLoaderRegistry;

/**
 * The DataLoaders of one GraphQL request, one per relation, so that a query over many entities costs one statement
 * per relation and level, not one per entity; each batch and the statements it issues are tallied under the
 * loader's name.
 */
final class GraphLoaders {
    /** The loaders, by what they read: the statement tally names them so. */
    static final String LATEST = "online features";
    static final String HISTORY = "feature history";
    static final String PREDICTIONS = "predictions";
    static final String VERSIONS = "model versions";
    static final String EVENTS = "model events";

    private GraphLoaders() {
    }

    record HistoryKey(String key, GraphStore.HistoryArgs args) {}

    static DataLoader<String, GraphStore.Latest> latest(DataFetchingEnvironment env) {
        return env.getDataLoader(LATEST);
    }

    /** The loaders of one request, made for it (nothing is cached between requests), tallied in {@code tally}. */
    static DataLoaderRegistry registry(GraphStore store, PredictionService service, StatementTally tally) {
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
                List<GraphAnswers.Answered> out = new ArrayList<>(ids.size());
                for (int i = 0; i < ids.size(); i++) {
                    out.add(outcome instanceof BatchOutcome.Rows r2 ? GraphAnswers.Answered.of(r2.rows().get(i), 0)
                            : outcome instanceof BatchOutcome.Refused ref ? GraphAnswers.Answered.of(ref.why(), 0)
                            : GraphAnswers.Answered.failed("bad_batch_size", "the batch of " + ids.size()
                            + " entities is larger than serve.batch_max_rows", List.of()));
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
}
