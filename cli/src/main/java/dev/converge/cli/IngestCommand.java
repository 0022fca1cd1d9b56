package dev.converge.cli;

import dev.converge.contracts.FeatureSchema;
import dev.converge.contracts.UnknownFeaturePolicy;
import dev.converge.store.Database;
import dev.converge.store.IngestOptions;
import dev.converge.store.IngestReport;
import dev.converge.store.IngestSource;
import dev.converge.store.Ingestor;
import dev.converge.store.SchemaProposal;
import dev.converge.store.SchemaRegistry;
import dev.converge.registry.codec.SchemaCodec;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "ingest", mixinStandardHelpOptions = true,
        description = {"Validate and load a CSV or JSON Lines file into the feature store.",
                "Bad rows go to ingest_rejects with their reasons; every good row lands."})
final class IngestCommand implements Callable<Integer> {
    @Mixin
    DbOptions db;

    @Parameters(index = "0", paramLabel = "FILE", description = ".csv, .jsonl or .ndjson")
    Path file;

    @Option(names = "--entity-column", paramLabel = "COLUMN",
            description = "Column with the entity id. Without it, the 1-based data row number is the id.")
    String entityColumn;

    @Option(names = "--timestamp-column", paramLabel = "COLUMN",
            description = "Column with the event time (ISO-8601 or date). Without it, the ingestion time is used.")
    String timestampColumn;

    @Option(names = "--schema", paramLabel = "FILE", description = "Feature schema (JSON). Default: the latest registered.")
    Path schemaFile;

    @Option(names = "--infer-schema", description = "Propose a schema from a sample of the file, print it, and use it.")
    boolean inferSchema;

    @Option(names = "--missing-values", paramLabel = "TOKENS", defaultValue = "NA,NaN,null,N/A",
            description = "With --infer-schema: comma-separated text that means a missing value besides the empty"
                    + " cell (default ${DEFAULT-VALUE}; \"\" for none). Kept in the schema, so ingestion, training"
                    + " and serving read it the same way.")
    String missingValues;

    @Option(names = "--sample", defaultValue = "10000", description = "Rows sampled by --infer-schema (default ${DEFAULT-VALUE}).")
    int sample;

    @Option(names = "--write-schema", paramLabel = "FILE", description = "Also write the inferred schema to FILE.")
    Path writeSchema;

    @Option(names = "--dry-run", description = "With --infer-schema: print the proposal and stop.")
    boolean dryRun;

    @Option(names = "--unknown", defaultValue = "reject",
            description = "Columns not in the schema: reject (the row) or report (drop them and say so). Default ${DEFAULT-VALUE}.")
    String unknown;

    @Option(names = "--feature-set", paramLabel = "NAME", defaultValue = "",
            description = "The feature set this file belongs to (a-z, 0-9, _ and -): its entities are kept apart from"
                    + " other sets' (stored as NAME/ID), and without --schema its schema is found among the set's"
                    + " by the file's columns.")
    String featureSet;

    @Option(names = "--entity-prefix", paramLabel = "PREFIX", defaultValue = "",
            description = "Prepended to every entity id, to keep data sets with overlapping ids apart.")
    String entityPrefix;

    @Option(names = "--defer-vector-index", description = "Make no HNSW index for new vector features now (a bulk"
            + " load ingests several times faster without one); build them after with: converge vectors --index.")
    boolean deferVectorIndex;

    @Option(names = "--batch-size", defaultValue = "10000", description = "Rows per COPY batch (default ${DEFAULT-VALUE}).")
    int batchSize;

    @Override
    public Integer call() throws Exception {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("no such file: " + file);
        }
        if (inferSchema && schemaFile != null) {
            throw new IllegalArgumentException("--schema and --infer-schema exclude each other");
        }
        UnknownFeaturePolicy policy = switch (unknown) {
            case "reject" -> UnknownFeaturePolicy.REJECT;
            case "report" -> UnknownFeaturePolicy.REPORT;
            default -> throw new IllegalArgumentException("--unknown must be reject or report, was '" + unknown + "'");
        };
        IngestOptions options = new IngestOptions(entityColumn, timestampColumn, policy, batchSize, entityPrefix,
                featureSet);
        FeatureSchema schema = null;
        if (inferSchema) {
            schema = SchemaProposal.propose(file, options, sample, missingValues.isEmpty() ? java.util.List.of()
                    : java.util.Arrays.stream(missingValues.split(",", -1)).filter(t -> !t.isEmpty()).toList());
            System.out.println("Proposed schema (" + schema.features().size() + " features, fingerprint "
                    + schema.fingerprint().substring(0, 12) + "):");
            System.out.println(SchemaCodec.toPrettyJson(schema));
            if (writeSchema != null) {
                Files.writeString(writeSchema, SchemaCodec.toPrettyJson(schema) + "\n", StandardCharsets.UTF_8);
                System.out.println("Wrote " + writeSchema);
            }
            if (dryRun) {
                return 0;
            }
        } else if (schemaFile != null) {
            schema = SchemaCodec.fromJson(Files.readString(schemaFile, StandardCharsets.UTF_8));
        }
        try (Database d = db.open(System.err)) {
            if (schema == null) {
                schema = schemaForColumns(new SchemaRegistry(d), options, file);
            }
            IngestReport report = run(d, file, schema, options, System.err, !deferVectorIndex);
            print(report, System.out, options.featureSet());
            if (timestampColumn == null) {
                System.out.println("Event times: no --timestamp-column, so every row is as of this ingestion; a row"
                        + " whose entity's latest stored row has the same features is counted as already stored.");
            }
            return report.rowsAccepted() == 0 && report.rowsRead() > 0 ? 3 : 0;
        }
    }

    /**
     * The schema of the feature set (or of the store, without one) that fits the file's columns; never "the
     * latest" of another data set. Says which it took; refuses, naming the columns, when none fits.
     */
    static FeatureSchema schemaForColumns(SchemaRegistry registry, IngestOptions options, Path file) throws Exception {
        java.util.List<String> columns;
        try (dev.converge.store.IngestSource src = dev.converge.store.IngestSource.open(file)) {
            java.util.Optional<java.util.List<String>> header = src.columns();
            if (header.isPresent()) {
                columns = new java.util.ArrayList<>(header.get());
            } else { // JSON lines: the keys of the first row that parses
                dev.converge.store.SourceRow row;
                do {
                    row = src.next();
                } while (row != null && row.cells() == null);
                if (row == null) {
                    throw new IllegalArgumentException(file + " has no row to match a schema with: pass --schema FILE");
                }
                columns = new java.util.ArrayList<>(row.cells().keySet());
            }
        }
        columns.remove(options.entityColumn());
        columns.remove(options.timestampColumn());
        String where = options.featureSet().isEmpty() ? "the store" : "feature set '" + options.featureSet() + "'";
        SchemaRegistry.Versioned v = registry.forColumns(options.featureSet(), columns).orElseThrow(() ->
                new IllegalArgumentException("no schema of " + where + " fits the columns of " + file.getFileName()
                        + " " + columns + ": pass --schema FILE or --infer-schema"));
        System.err.println("Schema: version " + v.version() + " of " + where + ", the newest that fits the file's"
                + " columns (fingerprint " + v.schema().fingerprint().substring(0, 12) + ")");
        return v.schema();
    }

    static IngestReport run(Database d, Path file, FeatureSchema schema, IngestOptions options, PrintStream err)
            throws Exception {
        return run(d, file, schema, options, err, true);
    }

    static IngestReport run(Database d, Path file, FeatureSchema schema, IngestOptions options, PrintStream err,
                            boolean vectorIndex) throws Exception {
        try (IngestSource source = IngestSource.open(file)) {
            return new Ingestor(d).withHnsw(vectorIndex ? dev.converge.registry.VectorIndex.Hnsw.DEFAULTS : null)
                    .ingest(source, schema, options, Progress.forSize(err, source.totalBytes()));
        }
    }

    static void print(IngestReport r, PrintStream out) {
        print(r, out, "");
    }

    static void print(IngestReport r, PrintStream out, String featureSet) {
        out.printf("Ingested %s: %,d rows read, %,d accepted, %,d rejected in %.2fs (%,.0f rows/s), schema version %d%n",
                r.source(), r.rowsRead(), r.rowsAccepted(), r.rowsRejected(), r.elapsed().toMillis() / 1000.0,
                r.rowsPerSecond(), r.schemaVersion());
        if (r.vectorSearch() != null) {
            out.println("Vector features: " + r.vectorSearch());
        }
        if (r.rowsDuplicate() > 0) {
            out.printf("Already stored (same entity and features; same event time too when the file has one), not"
                            + " stored again: %,d rows%n",
                    r.rowsDuplicate());
        }
        if (r.entityColumn() == null) {
            out.println(featureSet.isEmpty() ? "Entity ids: no --entity-column, so the rows' numbers (1, 2, ...);"
                    + " another file ingested the same way gets the same ids and replaces these online: use"
                    + " --feature-set (or --entity-prefix) to keep them apart."
                    : "Entity ids: no --entity-column, so the rows' numbers (1, 2, ...) within feature set '"
                    + featureSet + "'.");
        } else {
            out.printf("Entity ids from column '%s': %,d distinct%s%n", r.entityColumn(), r.distinctEntities(),
                    r.distinctEntities() >= 1_000_000 ? " or more" : "");
        }
        long staged = r.rowsAccepted() + r.rowsDuplicate();
        if (r.distinctEntities() > 0 && staged >= 2L * r.distinctEntities() && r.distinctEntities() < 1_000_000) {
            out.printf("Warning: %,d rows for %,d entities (%.1f per entity): the online store keeps each entity's"
                    + " latest row, and a pipeline takes one label event per entity unless its pit_loader says"
                    + " events: all. If '%s' is not an id, pick another --entity-column.%n", staged,
                    r.distinctEntities(), staged / (double) r.distinctEntities(), r.entityColumn());
        }
        if (!r.unknownFeatures().isEmpty()) {
            out.println("Columns not in the schema, dropped: " + r.unknownFeatures());
        }
        if (!r.readAsMissing().isEmpty()) {
            out.println("Read as missing (the schema's missing_values), stored as null:");
            r.readAsMissing().forEach((feature, n) -> out.printf("  %-40s %,d%n", feature, n));
        }
        if (r.rowsRejected() > 0) {
            out.println("Rejects by reason:");
            r.rejectReasons().forEach((reason, n) -> out.printf("  %-28s %,d%n", reason, n));
            out.println("First rejects:");
            r.sampleRejects().stream().limit(5).forEach(rej -> out.printf("  line %d: %s%n", rej.lineNumber(),
                    String.join("; ", rej.reasons().stream().map(Object::toString).toList())));
            out.println("All rejects: converge rejects --ingest " + r.ingestId());
        }
    }
}
