package dev.converge.cli;

import dev.converge.bench.VectorBenchmark;
import dev.converge.store.Database;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "bench-vectors", mixinStandardHelpOptions = true,
        description = "Vector search (issue 15): ingestion with the HNSW index, its build time and size, and search"
                + " p50/p99 and recall@10 against exact search at several ef_search values (markdown report).")
final class BenchVectorsCommand implements Callable<Integer> {
    @Mixin
    DbOptions db;

    @Option(names = "--rows", defaultValue = "100000", description = "Generated vectors (default ${DEFAULT-VALUE}).")
    int rows;

    @Option(names = "--dim", defaultValue = "128", description = "Their dimension (default ${DEFAULT-VALUE}).")
    int dim;

    @Option(names = "--queries", defaultValue = "500", description = "Timed searches per ef_search.")
    int queries;

    @Option(names = "--ef-search", split = ",", defaultValue = "40,100,200", description = "ef_search values.")
    int[] efSearch;

    @Option(names = "--uniform", description = "Uniform random vectors instead of clustered ones.")
    boolean uniform;

    @Option(names = "--seed", defaultValue = "42")
    long seed;

    @Override
    public Integer call() throws Exception {
        try (Database d = db.open(System.err)) {
            new VectorBenchmark(d, System.out, seed).run(rows, dim, queries, efSearch, !uniform);
        }
        return 0;
    }
}
