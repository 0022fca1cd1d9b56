package dev.converge.cli;

import dev.converge.registry.Deployment;
import dev.converge.registry.ModelRegistry;
import dev.converge.serve.experiment.ExperimentReport;
import dev.converge.store.Database;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "experiment", mixinStandardHelpOptions = true, subcommands = {ExperimentCommand.Start.class,
        ExperimentCommand.Stop.class, ExperimentCommand.Show.class, ExperimentCommand.Report.class},
        description = "A/B splits, shadow traffic and guarded canaries between versions of a model, in the serving"
                + " replicas that follow the registry (no separate deployment).")
final class ExperimentCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    static String actor() {
        return System.getProperty("user.name", "converge");
    }

    static void print(Deployment d) {
        if (d.challengers().isEmpty()) {
            System.out.println("Model '" + d.model() + "': the champion takes every request.");
            return;
        }
        System.out.println("Model '" + d.model() + "' (deployment #" + d.id() + ", pinning "
                + (d.allowPinning() ? "allowed" : "not allowed") + "):");
        for (Deployment.Challenger c : d.challengers()) {
            System.out.printf("  v%-4d %-6s %6.2f%% of requests%s%n", c.version(), c.mode().wireName(),
                    100 * c.share(), c.canary() == null ? "" : ", canary: steps " + c.canary().steps() + " every "
                    + c.canary().stepSeconds() + " s, error rate at most +" + c.canary().maxErrorRateIncrease()
                    + ", p99 at most " + c.canary().maxP99Ratio() + "x + " + c.canary().p99SlackMillis() + " ms, "
                    + "judged on " + c.canary().minRequests() + " requests");
        }
    }

    @Command(name = "start", mixinStandardHelpOptions = true, description = {"Deploy VERSION of MODEL beside its"
            + " champion: answering a share of requests (split, by a stable hash of the entity id), or scoring a"
            + " share of them off the answer's path (--shadow). Run again to change it; other challengers stay."})
    static final class Start implements Callable<Integer> {
        @Mixin
        DbOptions db;

        @Parameters(index = "0", paramLabel = "MODEL")
        String model;

        @Option(names = "--challenger", required = true, paramLabel = "VERSION", description = "the version to try")
        int version;

        @Option(names = "--share", description = "share of requests, 0 to 1 (default: 0.1; a canary starts at its"
                + " first step; a shadow defaults to 1)")
        Double share;

        @Option(names = "--shadow", description = "score off the answer's path; outputs go to the prediction log only")
        boolean shadow;

        @Option(names = "--canary-steps", split = ",", paramLabel = "SHARE", description = "a guarded canary: the"
                + " shares to climb, e.g. 0.05,0.25,0.5,1")
        List<Double> steps;

        @Option(names = "--step-seconds", defaultValue = "300", description = "time at each step (default 300)")
        int stepSeconds;

        @Option(names = "--max-error-rate-increase", defaultValue = "0.01", description = "breach when the"
                + " challenger's error rate exceeds the champion's by more (default 0.01)")
        double maxErrorRateIncrease;

        @Option(names = "--max-p99-ratio", defaultValue = "1.5", description = "breach when the challenger's p99"
                + " exceeds this multiple of the champion's plus --p99-slack-ms (default 1.5)")
        double maxP99Ratio;

        @Option(names = "--p99-slack-ms", defaultValue = "5", description = "see --max-p99-ratio (default 5)")
        double p99Slack;

        @Option(names = "--min-requests", defaultValue = "200", description = "requests of the challenger a"
                + " judgement needs (default 200)")
        int minRequests;

        @Option(names = "--allow-pinning", description = "let a request choose a deployed version (model_version)")
        boolean pinning;

        @Option(names = "--reason", defaultValue = "", description = "recorded in the deployment's history")
        String reason;

        @Override
        public Integer call() throws Exception {
            Deployment.Canary canary = steps == null ? null : new Deployment.Canary(steps, stepSeconds,
                    maxErrorRateIncrease, maxP99Ratio, p99Slack, minRequests);
            double s = share != null ? share : canary != null ? steps.get(0) : shadow ? 1.0 : 0.1;
            Deployment.Challenger added = new Deployment.Challenger(version, shadow ? Deployment.Mode.SHADOW
                    : Deployment.Mode.SPLIT, s, canary);
            try (Database d = db.open(System.err)) {
                ModelRegistry registry = new ModelRegistry(d.dataSource());
                List<Deployment.Challenger> cs = new ArrayList<>(registry.deployment(model).challengers());
                cs.removeIf(c -> c.version() == version);
                cs.add(added);
                print(registry.deploy(model, cs, pinning, actor(), reason.isEmpty() ? "experiment start v" + version
                        : reason, null).orElseThrow());
            }
            return 0;
        }
    }

    @Command(name = "stop", mixinStandardHelpOptions = true, description = "End MODEL's experiment (or one"
            + " challenger's part in it); --promote makes that challenger the champion first.")
    static final class Stop implements Callable<Integer> {
        @Mixin
        DbOptions db;

        @Parameters(index = "0", paramLabel = "MODEL")
        String model;

        @Option(names = "--challenger", paramLabel = "VERSION", description = "only this challenger")
        Integer version;

        @Option(names = "--promote", description = "promote the challenger (needs --challenger)")
        boolean promote;

        @Option(names = "--reason", defaultValue = "", description = "recorded in the histories")
        String reason;

        @Override
        public Integer call() throws Exception {
            if (promote && version == null) {
                throw new IllegalArgumentException("--promote needs --challenger VERSION");
            }
            try (Database d = db.open(System.err)) {
                ModelRegistry registry = new ModelRegistry(d.dataSource());
                Deployment current = registry.deployment(model);
                if (version != null && current.challenger(version).isEmpty()) {
                    throw new IllegalArgumentException("v" + version + " is not a challenger of '" + model + "'");
                }
                List<Deployment.Challenger> cs = new ArrayList<>(current.challengers());
                cs.removeIf(c -> version == null || c.version() == version);
                String why = reason.isEmpty() ? "experiment stop" + (version == null ? "" : " v" + version) : reason;
                Deployment after = registry.deploy(model, cs, current.allowPinning(), actor(), why, null)
                        .orElseThrow();
                if (promote) {
                    registry.promote(model, version, actor(), why);
                    System.out.println("v" + version + " of '" + model + "' promoted to champion.");
                }
                print(after);
            }
            return 0;
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true, description = "MODEL's deployment and its history.")
    static final class Show implements Callable<Integer> {
        @Mixin
        DbOptions db;

        @Parameters(index = "0", paramLabel = "MODEL")
        String model;

        @Override
        public Integer call() throws Exception {
            try (Database d = db.open(System.err)) {
                ModelRegistry registry = new ModelRegistry(d.dataSource());
                print(registry.deployment(model));
                System.out.println();
                System.out.println("History:");
                for (Deployment h : registry.deploymentHistory(model)) {
                    System.out.printf("  #%-5d %s  %-10s %s: %s%n", h.id(), h.at(), h.actor(), h.challengers().stream()
                            .map(c -> "v" + c.version() + " " + c.mode().wireName() + " " + c.share()).toList(),
                            h.reason());
                }
            }
            return 0;
        }
    }

    @Command(name = "report", mixinStandardHelpOptions = true, description = {"Per variant: requests, latency"
            + " percentiles, the prediction distribution, and where feedback exists the live metrics with 95%%"
            + " intervals and each variant's mean loss against the champion's (Welch's t-test)."})
    static final class Report implements Callable<Integer> {
        @Mixin
        DbOptions db;

        @Parameters(index = "0", paramLabel = "MODEL")
        String model;

        @Option(names = "--hours", defaultValue = "24", description = "the window (default 24)")
        int hours;

        @Option(names = "--max-labelled", defaultValue = "200000", description = "labelled rows read per variant")
        int maxLabelled;

        @Override
        public Integer call() throws Exception {
            try (Database d = db.open(System.err)) {
                System.out.print(ExperimentReport.render(ExperimentReport.of(d.dataSource(), model, hours,
                        maxLabelled)));
            }
            return 0;
        }
    }
}
