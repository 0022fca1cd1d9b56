package dev.converge.cli;

import dev.converge.bench.GinBenchmark;
import dev.converge.store.Database;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "bench-gin", mixinStandardHelpOptions = true,
        description = "Compare jsonb_ops and jsonb_path_ops GIN indexes on the same documents (markdown report).")
final class BenchGinCommand implements Callable<Integer> {
    @Mixin
    DbOptions db;

    @Option(names = "--rows", defaultValue = "100000", description = "Documents per table (default ${DEFAULT-VALUE}).")
    int rows;

    @Option(names = "--queries", defaultValue = "1000", description = "@> queries timed per index.")
    int queries;

    @Option(names = "--seed", defaultValue = "42")
    long seed;

    @Override
    public Integer call() throws Exception {
        if (rows < 1000) {
            throw new IllegalArgumentException("--rows must be at least 1000, was " + rows);
        }
        try (Database d = db.open(System.err)) {
            new GinBenchmark(d, System.out, seed).run(rows, queries);
        }
        return 0;
    }
}
