package dev.converge.cli;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The converge command line. */
@Command(name = "converge", mixinStandardHelpOptions = true, version = "converge 0.1.0",
        description = "Feature store to trained H2O model to low-latency predictions.")
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /**
     * The subcommands by name, in the order the usage lists them; each name is its class's {@code @Command} name
     * (CliTest checks). Classes are named, not referenced, so that a run of one command loads and models that one
     * alone: picocli's model of all of them cost about 0.7 s of every start on one core (reflection and class
     * loading; docs/perf.md, "Cold start: a command line of one command").
     */
    static final String[][] COMMANDS = {{"quickstart", "QuickstartCommand"}, {"migrate", "MigrateCommand"},
        {"ingest", "IngestCommand"}, {"online", "OnlineCommand"}, {"rejects", "RejectsCommand"},
        {"stats", "StatsCommand"}, {"models", "ModelsCommand"}, {"train", "TrainCommand"},
        {"memory-split", "MemorySplitCommand"}, {"h2o-node", "H2oNodeCommand"}, {"serve", "ServeCommand"},
        {"toast-check", "ToastCheckCommand"}, {"check-dataloader", "CheckDataLoaderCommand"},
        {"drift", "DriftCommand"}, {"retrain", "RetrainCommand"}, {"feedback", "FeedbackCommand"},
        {"experiment", "ExperimentCommand"}, {"check-hot-swap", "CheckHotSwapCommand"},
        {"check-event-loop", "CheckEventLoopCommand"}, {"check-cache-coherence", "CheckCacheCoherenceCommand"},
        {"validate-mojo", "ValidateMojoCommand"}, {"bench-gin", "BenchGinCommand"},
        {"bench-store", "BenchStoreCommand"}, {"bench-vectors", "BenchVectorsCommand"},
        {"vectors", "VectorsCommand"}, {"check-breaker", "CheckBreakerCommand"}, {"bench-serve", "BenchServeCommand"},
        {"keys", "KeysCommand"}};

    /** Every command: for usage, help and errors that list them. */
    public static CommandLine commandLine() {
        return commandLine(null);
    }

    /**
     * The command line for {@code args}: when the first argument names a subcommand, that subcommand alone (its
     * options, help and errors are the same); otherwise (no command, an option, help, an unknown word) all of them.
     */
    public static CommandLine commandLine(String[] args) {
        String first = args == null || args.length == 0 ? null : args[0];
        boolean one = first != null && java.util.Arrays.stream(COMMANDS).anyMatch(c -> c[0].equals(first));
        CommandLine cl = new CommandLine(new Main());
        for (String[] c : COMMANDS) {
            if (!one || c[0].equals(first)) {
                cl.addSubcommand(instance(c[1]));
            }
        }
        if (!one) {
            cl.addSubcommand(new CommandLine.HelpCommand());
        }
        cl.setExecutionExceptionHandler((ex, line, parsed) -> {
            PrintWriter err = line.getErr();
            if (ex instanceof IllegalArgumentException || ex instanceof IllegalStateException
                    || ex instanceof java.io.IOException || ex instanceof java.sql.SQLException) {
                err.println("error: " + ex.getMessage());
                return 2;
            }
            err.println("error: " + ex);
            for (Throwable cause = ex.getCause(); cause != null; cause = cause.getCause()) {
                err.println("  caused by: " + cause);
            }
            return 1;
        });
        return cl;
    }

    public static void main(String[] args) {
        TrainCommand.parentArgs = args.clone();
        // System.exit: an embedded H2O node leaves non-daemon threads that would keep the JVM alive.
        System.exit(commandLine(args).execute(args));
    }

    private static Object instance(String simpleName) {
        try {
            return CommandLine.defaultFactory().create(Class.forName(Main.class.getPackageName() + "." + simpleName));
        } catch (Exception e) {
            throw new IllegalStateException("command class " + simpleName + " cannot be made", e);
        }
    }
}
