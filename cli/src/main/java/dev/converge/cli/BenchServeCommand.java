package dev.converge.cli;

import dev.converge.bench.ServeBenchmark;
import dev.converge.store.Database;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "bench-serve", mixinStandardHelpOptions = true,
        description = {"Benchmark the prediction server against a plain Vert.x route and raw h2o-genmodel.",
                "Constant rates (coordinated-omission corrected), all measured in the same run (markdown report).",
                "Needs a champion with a second version (run ./converge quickstart twice)."})
final class BenchServeCommand implements Callable<Integer> {
    @Mixin
    DbOptions db;

    @Option(names = "--model", defaultValue = "credit_risk")
    String model;

    @Option(names = "--seconds", defaultValue = "15", description = "Length of each fixed-rate scenario (default ${DEFAULT-VALUE}).")
    double seconds;

    @Option(names = "--crossover", split = ",", paramLabel = "MODEL=RATE",
            description = "Instead: inline vs worker scoring and pool sizes, per model at a rate (e.g."
                    + " credit_risk=4000,credit_risk_heavy=800).")
    java.util.List<String> crossover;

    @Option(names = "--overload", paramLabel = "MODEL=START_RATE",
            description = "Instead: find MODEL's sustainable rate (steps from START_RATE), then offer 3x that.")
    String overload;

    @Option(names = "--goodput", paramLabel = "MODEL",
            description = "Instead: goodput of MODEL (cache off) under closed-loop clients (32, 256, 1024) and bursts;"
                    + " with --pin 1:0 the server has one core.")
    String goodput;

    @Option(names = "--pin", paramLabel = "SERVER_CPUS:CLIENT_CPUS",
            description = "Pin the servers under test and this load generator to separate CPUs with taskset (Linux),"
                    + " e.g. 1:0, so the generator does not take the server's CPU time.")
    String pin;

    @Override
    public Integer call() throws Exception {
        String[] cpus = null; // checked before the database starts
        if (pin != null) {
            cpus = pin.split(":", 2);
            if (cpus.length != 2 || !cpus[0].matches("[0-9,-]+") || !cpus[1].matches("[0-9,-]+")) {
                throw new IllegalArgumentException("--pin takes SERVER_CPUS:CLIENT_CPUS (taskset lists, e.g. 1:0),"
                        + " was '" + pin + "'");
            }
        }
        String overloadModel = null;
        double overloadRate = 0;
        if (overload != null) {
            String[] p = overload.split("=", 2);
            if (p.length != 2 || p[0].isBlank() || !p[1].matches("[0-9]+(\\.[0-9]+)?")
                    || Double.parseDouble(p[1]) <= 0) {
                throw new IllegalArgumentException("--overload takes MODEL=START_RATE (e.g. credit_risk_heavy=1000),"
                        + " was '" + overload + "'");
            }
            overloadModel = p[0];
            overloadRate = Double.parseDouble(p[1]);
        }
        List<String> args = db.asArgs();
        try (Database d = db.open(System.err)) {
            ServeBenchmark bench = new ServeBenchmark(d, args, model, System.out, Main.class);
            if (cpus != null) {
                bench.pin(cpus[0], cpus[1]);
            }
            if (goodput != null) {
                bench.goodput(goodput, seconds);
            } else if (overload != null) {
                bench.overload(overloadModel, overloadRate);
            } else if (crossover == null) {
                bench.run(seconds);
            } else {
                java.util.List<String> models = new ArrayList<>();
                java.util.List<Double> rates = new ArrayList<>();
                for (String mr : crossover) {
                    String[] p = mr.split("=", 2);
                    if (p.length != 2) {
                        throw new IllegalArgumentException("--crossover takes MODEL=RATE pairs, was '" + mr + "'");
                    }
                    models.add(p[0]);
                    rates.add(Double.parseDouble(p[1]));
                }
                bench.crossover(models, rates, seconds);
            }
        }
        return 0;
    }
}
