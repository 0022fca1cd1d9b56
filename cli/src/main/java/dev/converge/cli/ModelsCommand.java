package dev.converge.cli;

import dev.converge.store.Database;
import dev.converge.registry.codec.Json;
import dev.converge.registry.ModelEvent;
import dev.converge.registry.ModelRegistry;
import dev.converge.registry.ModelVersion;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "models", mixinStandardHelpOptions = true,
        description = "The model registry: immutable versions and their promotion history.",
        subcommands = {ModelsCommand.ListModels.class, ModelsCommand.Show.class, ModelsCommand.Promote.class,
                ModelsCommand.Demote.class, ModelsCommand.Rollback.class, ModelsCommand.History.class})
final class ModelsCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    static String actor(String given) {
        return given != null ? given : System.getProperty("user.name", "unknown");
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List model versions, newest first.")
    static final class ListModels implements Callable<Integer> {
        @Mixin
        DbOptions db;

        @Option(names = "--name", description = "Only this model.")
        String name;

        @Option(names = "--json", description = "One JSON object per version, every metric recorded (for scripts).")
        boolean json;

        @Override
        public Integer call() throws Exception {
            try (Database d = db.open(System.err)) {
                ModelRegistry registry = new ModelRegistry(d.dataSource());
                List<ModelVersion> versions = registry.list(name);
                if (versions.isEmpty()) {
                    System.out.println("No models registered yet (./converge train registers them).");
                    return 0;
                }
                String current = null;
                Optional<ModelVersion> champion = Optional.empty();
                List<List<String>> rows = new java.util.ArrayList<>();
                for (ModelVersion v : versions) {
                    if (!v.name().equals(current)) {
                        current = v.name();
                        champion = registry.champion(current);
                    }
                    boolean isChampion = champion.map(c -> c.version() == v.version()).orElse(false);
                    if (json) {
                        System.out.println(Json.write(java.util.Map.of("name", v.name(), "version", v.version(),
                                "algorithm", v.algorithm(), "created_at", v.createdAt().toString(), "champion",
                                isChampion, "metrics", v.metrics())));
                        continue;
                    }
                    rows.add(List.of(v.name(), Integer.toString(v.version()), v.algorithm(),
                            v.createdAt().truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString(),
                            Figures.line(v.metrics()), isChampion ? "champion" : ""));
                }
                if (!json) {
                    System.out.print(Figures.table(List.of("MODEL", "VERSION", "ALGORITHM", "CREATED (UTC)",
                            "MEASURED ON UNSEEN TEST ROWS", "ROLE"), rows));
                    System.out.println("(automl:glm is AutoML's pick, a GLM; `models show NAME VERSION` prints"
                            + " everything recorded)");
                }
            }
            return 0;
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true, description = "Everything recorded about one version.")
    static final class Show implements Callable<Integer> {
        @Mixin
        DbOptions db;

        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Parameters(index = "1", paramLabel = "VERSION", arity = "0..1",
                description = "Default: the current champion.")
        Integer version;

        @Override
        public Integer call() throws Exception {
            try (Database d = db.open(System.err)) {
                ModelRegistry registry = new ModelRegistry(d.dataSource());
                ModelVersion v = (version == null ? registry.champion(name) : registry.show(name, version))
                        .orElseThrow(() -> new IllegalArgumentException("model '" + name + "' has "
                                + (version == null ? "no champion" : "no version " + version)));
                java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
                m.put("name", v.name());
                m.put("version", v.version());
                m.put("algorithm", v.algorithm());
                m.put("artifact_uri", v.artifactUri());
                m.put("artifact_sha256", v.artifactSha256());
                m.put("artifact_size", v.artifactSize());
                m.put("h2o_version", v.h2oVersion());
                m.put("mojo_version", v.mojoVersion());
                m.put("git_commit", v.gitCommit());
                m.put("schema_fingerprint", v.schemaFingerprint());
                m.put("training_window", java.util.Arrays.asList(String.valueOf(v.trainingWindowStart()),
                        String.valueOf(v.trainingWindowEnd())));
                m.put("metrics", v.metrics());
                m.put("created_at", v.createdAt().toString());
                m.put("feature_schema", Json.MAPPER.readTree(v.featureSchemaJson()));
                System.out.println(Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(m));
            }
            return 0;
        }
    }

    @Command(name = "promote", mixinStandardHelpOptions = true, description = "Make a version the champion.")
    static final class Promote implements Callable<Integer> {
        @Mixin
        DbOptions db;

        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Parameters(index = "1", paramLabel = "VERSION")
        int version;

        @Option(names = "--reason", required = true)
        String reason;

        @Option(names = "--actor", description = "Who does this (default: the OS user).")
        String actor;

        @Override
        public Integer call() throws Exception {
            try (Database d = db.open(System.err)) {
                ModelEvent e = new ModelRegistry(d.dataSource()).promote(name, version, actor(actor), reason);
                System.out.printf("%s v%d is now the champion (event %d)%n", name, e.version(), e.id());
            }
            return 0;
        }
    }

    @Command(name = "demote", mixinStandardHelpOptions = true,
            description = "Take a version out of the champion line; the previous champion takes over.")
    static final class Demote implements Callable<Integer> {
        @Mixin
        DbOptions db;

        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Parameters(index = "1", paramLabel = "VERSION")
        int version;

        @Option(names = "--reason", required = true)
        String reason;

        @Option(names = "--actor")
        String actor;

        @Override
        public Integer call() throws Exception {
            try (Database d = db.open(System.err)) {
                ModelRegistry registry = new ModelRegistry(d.dataSource());
                registry.demote(name, version, actor(actor), reason);
                System.out.printf("%s v%d demoted; champion is now %s%n", name, version,
                        registry.champion(name).map(v -> "v" + v.version()).orElse("none"));
            }
            return 0;
        }
    }

    @Command(name = "rollback", mixinStandardHelpOptions = true, description = "Return to the previous champion.")
    static final class Rollback implements Callable<Integer> {
        @Mixin
        DbOptions db;

        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Option(names = "--reason", required = true)
        String reason;

        @Option(names = "--actor")
        String actor;

        @Override
        public Integer call() throws Exception {
            try (Database d = db.open(System.err)) {
                ModelEvent e = new ModelRegistry(d.dataSource()).rollback(name, actor(actor), reason);
                System.out.printf("%s rolled back to v%d (event %d)%n", name, e.version(), e.id());
            }
            return 0;
        }
    }

    @Command(name = "history", mixinStandardHelpOptions = true, description = "The full, append-only event history.")
    static final class History implements Callable<Integer> {
        @Mixin
        DbOptions db;

        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Override
        public Integer call() throws Exception {
            try (Database d = db.open(System.err)) {
                List<ModelEvent> events = new ModelRegistry(d.dataSource()).history(name);
                if (events.isEmpty()) {
                    throw new IllegalArgumentException("model '" + name + "' has no history");
                }
                for (ModelEvent e : events) {
                    System.out.printf("%5d  %s  %-11s v%-3d by %-10s %s%n", e.id(), e.at(), e.type().wireName(),
                            e.version(), e.actor(), e.reason());
                }
            }
            return 0;
        }
    }
}
