package dev.converge.cli;

import dev.converge.contracts.config.Settings;
import dev.converge.store.Database;
import dev.converge.train.H2oCloud;
import dev.converge.train.MemorySplit;
import dev.converge.train.pipeline.Outcome;
import dev.converge.train.pipeline.Pipeline;
import dev.converge.train.pipeline.PipelineSpec;
import dev.converge.train.pipeline.RunOutcome;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "train", mixinStandardHelpOptions = true,
        description = {"Run a training pipeline (pipelines/*.yaml) on embedded H2O and register its champion.",
                "Point-in-time load, split, governed fan-out, champion, MOJO export, deployability gate, registration.",
                "Starts the training JVM with the memory split applied (see memory-split)."})
final class TrainCommand implements Callable<Integer> {
    @Mixin
    DbOptions db;

    @Option(names = "--pipeline", required = true, paramLabel = "FILE")
    Path pipeline;

    @Option(names = "--container-limit", paramLabel = "SIZE",
            description = "Memory for the training JVM (default: the cgroup limit, else half of physical memory).")
    String containerLimit;

    @Option(names = "--xgboost-estimate", paramLabel = "SIZE", defaultValue = "512m")
    String xgboost;

    @Option(names = "--artifacts", paramLabel = "DIR", description = "Artifact store (default $HOME/.converge/artifacts).")
    String artifacts;

    @Option(names = "--actor", paramLabel = "NAME", description = "Who the registry records as registering (and"
            + " promoting) the model (default: the OS user); a drift-triggered retrain names its drift run here.")
    String actor;

    @Option(names = "--dry-run", description = "Compare models without registering any: run the pipeline up to its"
            + " best_run, print the leaderboard (kept in training_runs) and stop before export. A pipeline whose last"
            + " block is best_run always runs so.")
    boolean dryRun;

    @Option(names = "--in-process", hidden = true, description = "Run here instead of in a child JVM (the child uses it).")
    boolean inProcess;

    @Override
    public Integer call() throws Exception {
        PipelineSpec spec = PipelineSpec.load(pipeline); // a mis-wired pipeline fails here, before any JVM starts
        if (!inProcess) {
            return runChild(spec);
        }
        Settings s = db.settings();
        Path home = dev.converge.contracts.config.ConvergeHome.dir();
        H2oCloud.Config h2o = h2oConfig(s, home.resolve("h2o"));
        try (Database d = db.open(System.err)) {
            System.out.printf("Training pipeline '%s' -> model '%s' (JVM heap %,d MB)%n", spec.name(), spec.model(),
                    Runtime.getRuntime().maxMemory() >> 20);
            H2oCloud.start(h2o);
            System.out.printf("  H2O cloud of %d node(s) on %s:%d%s%n", H2oCloud.size(), h2o.bindAddress(), h2o.port(),
                    h2o.role() == H2oCloud.Role.CLIENT ? " (this JVM a client of it: the data live on the nodes)" : "");
            Outcome o = new Pipeline(new Pipeline.Context(d, artifacts != null ? artifacts
                    : home.resolve("artifacts").toString(), actor != null && !actor.isBlank() ? actor
                    : System.getProperty("user.name", "converge"),
                    GitCommit.of(QuickstartCommand.home()), System.out)).run(spec, dryRun);
            print(o, new dev.converge.registry.ModelRegistry(d.dataSource()).champion(spec.model()).orElse(null));
            System.out.println("Training JVM peak RSS (VmHWM): " + peakRss());
            return o.registered() == null && o.gate() != null ? 6 : 0;
        }
    }

    static void print(Outcome o, dev.converge.registry.ModelVersion champion) {
        System.out.println();
        System.out.println("Leaderboard (sweep " + o.sweepId() + ", by " + o.metric() + "):");
        List<RunOutcome> ranked = new ArrayList<>(o.runs());
        boolean higher = o.metric().higherIsBetter();
        ranked.sort((a, b) -> {
            Double x = a.metrics().get(o.metric().wireName()) instanceof Number n ? n.doubleValue() : null;
            Double y = b.metrics().get(o.metric().wireName()) instanceof Number n ? n.doubleValue() : null;
            if (x == null || y == null) {
                return x == null ? (y == null ? 0 : 1) : -1;
            }
            return higher ? Double.compare(y, x) : Double.compare(x, y);
        });
        for (RunOutcome r : ranked) {
            System.out.printf("  %-4s task %-3d %-58s %-9s %s %6.1fs%n", r == o.champion() ? "*" : "", r.index(),
                    r.config(), r.status(), r.metrics().get(o.metric().wireName()) instanceof Number n
                            ? String.format("%s=%.5f", o.metric(), n.doubleValue()) : "-", r.runtimeMs() / 1000.0);
        }
        if (o.gate() == null) {
            System.out.println("Nothing registered (" + o.promotion() + "); the runs are in training_runs under sweep "
                    + o.sweepId() + ". Run without --dry-run (with an export block) to register the best.");
        } else if (o.registered() == null) {
            System.out.println("The sweep's best was NOT registered: " + o.gate().reason());
        } else {
            // Registered is not champion: the pipeline's promotion policy decides that, and this says which and why.
            System.out.printf("Registered the sweep's best: %s v%d %s%n  %s%n  scoring p50 %.1f us, p99 %.1f us"
                            + " (h2o-genmodel, one thread)%n", o.registered().name(), o.registered().version(),
                    o.registered().algorithm(), Figures.line(o.registered().metrics()), o.gate().p50Micros(),
                    o.gate().p99Micros());
            System.out.println(promotionLine(o, champion));
        }
    }

    /** The run's last word on promotion: promoted or not, why, and what serving will do about it. */
    static String promotionLine(Outcome o, dev.converge.registry.ModelVersion champion) {
        String name = o.registered().name();
        int v = o.registered().version();
        if (o.promoted()) {
            return "Promoted " + name + " v" + v + " to champion (" + o.promotion() + "); servers of " + name
                    + " swap to it.";
        }
        return "Registered " + name + " v" + v + ", NOT promoted: " + o.promotion() + ". " + (champion == null
                ? name + " has no champion, so `converge serve --model " + name + "` has nothing to serve and waits:"
                + " to serve this version, `converge models promote " + name + " " + v + " --reason \"...\"`."
                : "The champion is still v" + champion.version() + "; `converge models promote " + name + " " + v
                + " --reason \"...\"` to serve this one instead.");
    }

    /** This process's peak resident set size, from /proc (Linux); "unknown" elsewhere. */
    static String peakRss() {
        try {
            for (String line : java.nio.file.Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    return line.substring(6).trim();
                }
            }
        } catch (java.io.IOException | RuntimeException e) {
            // not Linux
        }
        return "unknown";
    }

    static H2oCloud.Config h2oConfig(Settings s, Path defaultWorkDir) {
        return h2oConfig(s, defaultWorkDir, H2oCloud.Role.parse(s.string("h2o.role").orElse("member")));
    }

    /**
     * This JVM's H2O settings in {@code role}: from h2o.* settings, or from Kubernetes discovery
     * ({@code H2O_KUBERNETES_SERVICE_DNS}, {@code H2O_NODE_EXPECTED_COUNT}), which finds the cloud's members, or for a
     * client the nodes it joins.
     */
    static H2oCloud.Config h2oConfig(Settings s, Path defaultWorkDir, H2oCloud.Role role) {
        String bind = s.string("h2o.bind").orElse("127.0.0.1");
        Path flatfile = s.string("h2o.flatfile").map(Path::of).orElse(null);
        int size = s.integer("h2o.cloud_size", 1);
        String dnsName = System.getenv("H2O_KUBERNETES_SERVICE_DNS");
        boolean clustered = flatfile != null || size > 1 || dnsName != null || role != H2oCloud.Role.MEMBER;
        // A lone node takes any free port pair; cloud members must agree on theirs, so it must be configured.
        int port = s.get("h2o.port").isPresent() || clustered ? s.integer("h2o.port", 54321)
                : H2oCloud.freePortPair(bind, 54321);
        String dns = System.getenv("H2O_KUBERNETES_SERVICE_DNS");
        if (dns != null && flatfile == null) {
            KubernetesPeers peers = KubernetesPeers.fromEnvironment(dns, port);
            flatfile = peers.writeFlatfile(defaultWorkDir);
            size = peers.expected();
            bind = peers.self();
        }
        return new H2oCloud.Config(s.string("h2o.name").orElse(size > 1 ? "converge" : "converge-"
                + ProcessHandle.current().pid()), bind, port, flatfile, size,
                s.string("h2o.work_dir").map(Path::of).orElse(defaultWorkDir), s.integer("h2o.nthreads", -1),
                java.time.Duration.ofSeconds(s.integer("h2o.form_timeout_secs", 120)),
                s.string("h2o.internal_security_conf").map(Path::of).orElse(null),
                Boolean.parseBoolean(s.string("h2o.allow_insecure").orElse("false")), role);
    }

    /** Starts this command again in a JVM with the memory split and H2O's flags, and waits for it. */
    private int runChild(PipelineSpec spec) throws Exception {
        return child(limit(containerLimit), MemorySplit.parseSize(xgboost), List.of(parentArgs));
    }

    /** Runs {@code train --pipeline FILE} in a training JVM with default memory settings (used by quickstart). */
    static int spawn(Path pipeline, List<String> dbArgs) throws Exception {
        List<String> args = new ArrayList<>(List.of("train", "--pipeline", pipeline.toString()));
        args.addAll(dbArgs);
        return child(limit(null), MemorySplit.parseSize("512m"), args);
    }

    private static int child(long limit, long xgboostBytes, List<String> trainArgs) throws Exception {
        MemorySplit split = MemorySplit.compute(limit, MemorySplit.DEFAULT_HEAP_FRACTION, xgboostBytes);
        System.out.println("Training JVM: " + split.describe().replace("\n", "; "));
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(Arrays.asList(split.jvmArgs().split(" ")));
        cmd.add("--add-opens");
        cmd.add("java.base/java.lang=ALL-UNNAMED");
        int feature = Runtime.version().feature();
        if (feature > 17) {
            cmd.add("-Dsys.ai.h2o.debug.allowJavaVersions=" + feature);
        }
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(Main.class.getName());
        List<String> args = new ArrayList<>(trainArgs);
        args.add("--in-process");
        cmd.addAll(args);
        Process p = new ProcessBuilder(cmd).inheritIO().start();
        return p.waitFor();
    }

    /** The original arguments, set by {@link Main} before execution, passed on to the child. */
    static String[] parentArgs = new String[0];

    private static long limit(String containerLimit) {
        if (containerLimit != null) {
            return MemorySplit.parseSize(containerLimit);
        }
        OptionalLong cgroup = MemorySplit.cgroupLimit(Path.of("/sys/fs/cgroup"));
        if (cgroup.isPresent()) {
            return cgroup.getAsLong();
        }
        long physical = ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getTotalMemorySize();
        return Math.min(physical / 2, 8L << 30);
    }
}
