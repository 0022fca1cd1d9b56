package dev.converge.cli;

import dev.converge.contracts.FeatureSchema;
import dev.converge.store.Database;
import dev.converge.store.IngestOptions;
import dev.converge.store.IngestReport;
import dev.converge.store.SchemaProposal;
import dev.converge.store.OnlineRow;
import dev.converge.store.OnlineStore;
import dev.converge.train.pipeline.PipelineSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "quickstart", mixinStandardHelpOptions = true,
        description = {"The tour: ingest lending_club, train, promote the champion, serve it and predict.",
                "Migrates, infers the schema, ingests, shows the store and an online read, trains (GLM, a GBM grid,"
                        + " pruned AutoML), registers and promotes the champion, starts the server on :8080 and makes"
                        + " one live prediction (--exit stops there).",
                "Runs on the embedded PostgreSQL unless a database is configured."})
final class QuickstartCommand implements Callable<Integer> {
    @Mixin
    DbOptions db;

    @Option(names = "--data", paramLabel = "FILE", description = "Data set (default: examples/data/lending_club.csv).")
    Path data;

    @Option(names = "--pipeline", paramLabel = "FILE",
            description = "Training pipeline (default: pipelines/lending_club.yaml).")
    Path pipeline;

    @Option(names = "--skip-training", description = "Stop after the feature store part.")
    boolean skipTraining;

    @Option(names = "--port", defaultValue = "8080", description = "Port of the prediction server it ends with (default ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--exit", description = "Stop after one live prediction instead of serving on.")
    boolean exit;

    @Override
    public Integer call() throws Exception {
        Path file = data != null ? data : home().resolve("examples/data/lending_club.csv");
        Path trainPipeline = pipeline != null ? pipeline : home().resolve("pipelines/lending_club.yaml");
        if (!skipTraining) {
            PipelineSpec.load(trainPipeline); // missing or mis-wired: fail now, not after ingestion
        }
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("quickstart data set not found: " + file
                    + " (run from the repository root, or pass --data FILE)");
        }
        System.out.println("== 1. Database");
        try (Database d = db.open(System.out)) {
            System.out.println("Using " + d.description() + ", migrations applied.");

            System.out.println("\n== 2. Infer a schema from " + file.getFileName());
            IngestOptions options = IngestOptions.of(null, null);
            FeatureSchema schema = SchemaProposal.propose(file, options, 10_000);
            schema.features().forEach(f -> System.out.printf("  %-28s %-12s %-5s%s%n", f.name(), f.type().wireName(),
                    f.temperature().wireName(), f.nullable() ? " nullable" : ""));
            System.out.println("  fingerprint " + schema.fingerprint());

            System.out.println("\n== 3. Ingest (entity id = row number, event time = now)");
            IngestReport report = IngestCommand.run(d, file, schema, options, System.err);
            IngestCommand.print(report, System.out);

            System.out.println("\n== 4. Feature store");
            StatsCommand.print(d, System.out);

            System.out.println("\n== 5. Online reads");
            OnlineStore online = new OnlineStore(d);
            OnlineRow one = online.read("1", true).orElseThrow(() -> new IllegalStateException(
                    "entity 1 was not found after ingestion"));
            System.out.println("converge online 1 --cold");
            System.out.println(OnlineCommand.format(one));
            Map<String, OnlineRow> many = online.readMany(List.of("2", "3", "4", "no-such-loan"), false);
            System.out.println("converge online 2 3 4 no-such-loan  -> one round trip, " + many.size() + " found");
            many.values().forEach(r -> System.out.println("  " + r.entityId() + ": " + r.hot().get("int_rate")
                    + "% " + r.hot().get("sub_grade") + " " + r.hot().get("Class")));
        }
        if (!skipTraining) {
            System.out.println("\n== 6. Train on lending_club (pipelines/lending_club.yaml, small budget)");
            System.out.flush();
            int code = TrainCommand.spawn(trainPipeline, db.asArgs());
            if (code != 0) {
                System.err.println("training failed (exit " + code + ")");
                return code;
            }
        }
        if (skipTraining) {
            System.out.println("\nNext: ./converge train --pipeline pipelines/lending_club.yaml | ./converge --help");
            return 0;
        }
        System.out.println("\n== 7. Serve the champion");
        Database d = db.open(System.out);
        dev.converge.serve.PredictionServer server = dev.converge.serve.ServeMain.start(
                ServeCommand.config(db, null, port, null), d.endpoint(), System.out);
        String url = "http://127.0.0.1:" + server.port() + "/v1/predict";
        String request = "{\"entity_id\": \"1\", \"features\": {\"int_rate\": 21.5}}";
        java.net.http.HttpResponse<String> r = java.net.http.HttpClient.newHttpClient().send(
                java.net.http.HttpRequest.newBuilder(java.net.URI.create(url)).header("content-type", "application/json")
                        .POST(java.net.http.HttpRequest.BodyPublishers.ofString(request)).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        System.out.println("curl -s " + url + " -H 'content-type: application/json' -d '" + request + "'");
        System.out.println("-> " + r.statusCode() + " " + r.body());
        if (exit) {
            server.close().toCompletionStage().toCompletableFuture().get(10, java.util.concurrent.TimeUnit.SECONDS);
            d.close();
            return r.statusCode() == 200 ? 0 : 7;
        }
        System.out.println("\nServing on http://127.0.0.1:" + server.port() + " (Ctrl-C stops). Also try"
                + " `./converge models list` and `./converge models history credit_risk`.");
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close().toCompletionStage().toCompletableFuture().orTimeout(5, java.util.concurrent.TimeUnit.SECONDS)
                    .join();
            d.close();
        }));
        new java.util.concurrent.CountDownLatch(1).await();
        return 0;
    }

    /** The repository root: CONVERGE_HOME from the launcher, else the working directory. */
    static Path home() {
        String h = System.getenv("CONVERGE_HOME");
        return h != null ? Path.of(h) : Path.of("");
    }
}
