package dev.converge.cli;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The converge command line. */
@Command(name = "converge", mixinStandardHelpOptions = true, version = "converge 0.1.0",
        description = "Feature store to trained H2O model to low-latency predictions.",
        subcommands = {QuickstartCommand.class, MigrateCommand.class, IngestCommand.class, OnlineCommand.class,
                RejectsCommand.class, StatsCommand.class, ModelsCommand.class, TrainCommand.class,
                MemorySplitCommand.class, H2oNodeCommand.class, ServeCommand.class, ToastCheckCommand.class, CheckDataLoaderCommand.class, DriftCommand.class, RetrainCommand.class, FeedbackCommand.class, ExperimentCommand.class, CheckHotSwapCommand.class, CheckEventLoopCommand.class, CheckCacheCoherenceCommand.class, ValidateMojoCommand.class,
                BenchGinCommand.class, BenchStoreCommand.class, BenchVectorsCommand.class, VectorsCommand.class, CheckBreakerCommand.class, BenchServeCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
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
        System.exit(commandLine().execute(args));
    }
}
