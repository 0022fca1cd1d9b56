package dev.converge.cli;

import dev.converge.contracts.FeatureSchema;
import dev.converge.contracts.FeatureSpec;
import dev.converge.registry.VectorIndex;
import dev.converge.registry.codec.SchemaCodec;
import dev.converge.store.Database;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "vectors", mixinStandardHelpOptions = true,
        description = "Vector features: how they are searched here, and their HNSW indexes (made at ingestion; run"
                + " this after installing pgvector into a store that already holds vectors).")
final class VectorsCommand implements Callable<Integer> {
    @Mixin
    DbOptions db;

    @Option(names = "--index", description = "Create the missing HNSW indexes (pgvector must be installed).")
    boolean index;

    @Option(names = "--hnsw-m", defaultValue = "16")
    int m;

    @Option(names = "--hnsw-ef-construction", defaultValue = "64")
    int efConstruction;

    @Override
    public Integer call() throws Exception {
        try (Database d = db.open(System.err); Connection c = d.connection()) {
            d.migrateIfBehind();
            VectorIndex.Support support = VectorIndex.detect(c);
            System.out.println("Search: " + support.describe());
            List<FeatureSpec> specs = new ArrayList<>();
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT DISTINCT ON (name)"
                    + " spec::text FROM feature_definitions WHERE type = 'vector' ORDER BY name, version DESC")) {
                while (rs.next()) {
                    specs.add(SchemaCodec.fromJson("{\"features\": [" + rs.getString(1) + "]}").features().get(0));
                }
            }
            if (specs.isEmpty()) {
                System.out.println("No vector features are defined.");
                return 0;
            }
            List<String> made = index && support.indexed() ? VectorIndex.ensure(c, support, new FeatureSchema(specs),
                    new VectorIndex.Hnsw(m, efConstruction, 100)) : List.of();
            for (FeatureSpec s : specs) {
                String name = VectorIndex.indexName(s);
                boolean exists;
                try (var q = c.prepareStatement("SELECT to_regclass(?) IS NOT NULL")) {
                    q.setString(1, name);
                    try (ResultSet rs = q.executeQuery()) {
                        rs.next();
                        exists = rs.getBoolean(1);
                    }
                }
                System.out.printf("  %-30s vector(%d) %-13s %s%n", s.name(), s.dimension(), s.metric().wireName(),
                        made.contains(name) ? "index created: " + name : exists ? "indexed: " + name
                                : "no index (searched exactly)");
            }
            return index && !support.indexed() ? 1 : 0;
        }
    }
}
