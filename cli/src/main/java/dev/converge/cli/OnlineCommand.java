package dev.converge.cli;

import dev.converge.store.Database;
import dev.converge.store.OnlineRow;
import dev.converge.store.OnlineStore;
import dev.converge.registry.codec.Json;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "online", mixinStandardHelpOptions = true,
        description = "Read the latest features of one or more entities (one round trip for many).")
final class OnlineCommand implements Callable<Integer> {
    @Mixin
    DbOptions db;

    @Parameters(arity = "1..*", paramLabel = "ENTITY_ID")
    List<String> entities;

    @Option(names = "--cold", description = "Include cold features.")
    boolean cold;

    @Option(names = "--feature-set", paramLabel = "NAME", defaultValue = "",
            description = "The feature set the entities belong to (their ids as ingested with --feature-set).")
    String featureSet;

    @Override
    public Integer call() throws Exception {
        try (Database d = db.open(System.err)) {
            List<String> keys = entities.stream().map(id -> dev.converge.store.IngestOptions.entityKey(featureSet, id))
                    .toList();
            Map<String, OnlineRow> rows = new OnlineStore(d).readMany(keys, cold);
            for (int i = 0; i < entities.size(); i++) {
                OnlineRow r = rows.get(keys.get(i));
                System.out.println(r == null ? entities.get(i) + ": no features" + (featureSet.isEmpty() ? ""
                        : " in feature set '" + featureSet + "'") : format(r));
            }
            return rows.size() == entities.stream().distinct().count() ? 0 : 4;
        }
    }

    static String format(OnlineRow r) {
        return r.entityId() + " @ " + r.eventTimestamp() + " (schema v" + r.featureVersion() + ")\n  hot:  "
                + Json.write(r.hot()) + (r.cold() == null ? "" : "\n  cold: " + Json.write(r.cold()));
    }
}
