package dev.converge.cli;

import dev.converge.bench.StoreBenchmark;
import dev.converge.store.Database;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "bench-store", mixinStandardHelpOptions = true,
        description = "Ingestion rows/s (GIN indexes present) and online read p50/p99 (markdown report).")
final class BenchStoreCommand implements Callable<Integer> {
    @Mixin
    DbOptions db;

    @Option(names = "--rows", defaultValue = "100000", description = "Generated rows and entities (default ${DEFAULT-VALUE}).")
    int rows;

    @Option(names = "--reads", defaultValue = "20000", description = "Timed single-entity reads.")
    int reads;

    @Option(names = "--data", paramLabel = "FILE", description = "A real data set to ingest too (default: lending_club).",
            defaultValue = "examples/data/lending_club.csv")
    Path data;

    @Option(names = "--seed", defaultValue = "42")
    long seed;

    @Override
    public Integer call() throws Exception {
        try (Database d = db.open(System.err)) {
            new StoreBenchmark(d, System.out, seed).run(rows, data.toFile().isFile() ? data : null, reads);
        }
        return 0;
    }
}
