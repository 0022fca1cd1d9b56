package dev.converge.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** `converge` commands in JVMs of their own (H2O nodes, training runs that start training JVMs), for the cloud tests. */
final class ConvergeProcesses {
    private ConvergeProcesses() {
    }

    /** A fresh schema holding the quickstart's lending_club data (the feature store part of `quickstart`). */
    static TestSchema lendingClub(String prefix) throws Exception {
        TestSchema schema = new TestSchema(prefix).create();
        CliTest.Run qs = CliTest.run("quickstart", "--skip-training", "--database-url", schema.url, "--data",
                Path.of(System.getProperty("converge.root", "..")).resolve("examples/data/lending_club.csv").toString());
        assertThat(qs.exit()).as(qs.err() + qs.out()).isZero();
        return schema;
    }

    /**
     * `converge ARGS` in a JVM of its own with H2O's JVM flags and {@code env} added to this one's; output merged,
     * into {@code log}, or readable from the process when {@code log} is null.
     */
    static Process converge(Map<String, String> env, Path log, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx768m", "--add-opens", "java.base/java.lang=ALL-UNNAMED",
                "-Dsys.ai.h2o.debug.allowJavaVersions=" + Runtime.version().feature(),
                "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        if (log != null) {
            pb.redirectOutput(log.toFile());
        }
        pb.environment().putAll(env);
        return pb.start();
    }

    /** Ends the process and what it started (a training run's training JVM). */
    static void stop(Process p) throws Exception {
        if (p == null) {
            return;
        }
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
    }
}
