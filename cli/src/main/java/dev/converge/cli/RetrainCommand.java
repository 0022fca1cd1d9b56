package dev.converge.cli;

import dev.converge.store.Database;
import java.sql.Connection;
import java.sql.ResultSet;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

@Command(name = "retrain", mixinStandardHelpOptions = true,
        subcommands = {RetrainCommand.Status.class, RetrainCommand.Reset.class},
        description = "Drift-triggered retraining: its attempts, and the breaker three failures in a row open.")
final class RetrainCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    @Command(name = "status", mixinStandardHelpOptions = true, description = "Each model's breaker and last attempts.")
    static final class Status implements Callable<Integer> {
        @Mixin
        DbOptions db;

        @Override
        public Integer call() throws Exception {
            try (Database d = db.open(System.err); Connection c = d.connection(); ResultSet rs = c.createStatement()
                    .executeQuery("SELECT r.model, r.id, r.trigger, r.started_at, r.outcome, r.exit_code,"
                            + " coalesce(b.open, false), coalesce(b.consecutive_failures, 0) FROM retrain_runs r"
                            + " LEFT JOIN retrain_breakers b USING (model) ORDER BY r.model, r.id DESC")) {
                String model = null;
                int shown = 0;
                while (rs.next()) {
                    if (!rs.getString(1).equals(model)) {
                        model = rs.getString(1);
                        shown = 0;
                        System.out.printf("%nModel %s: breaker %s (%d consecutive failures)%n", model,
                                rs.getBoolean(7) ? "OPEN, no automatic retraining until `converge retrain reset "
                                        + model + "`" : "closed", rs.getInt(8));
                    }
                    if (shown++ < 10) {
                        System.out.printf("  #%-5d %s  %-22s exit %-4s %s%n", rs.getLong(2), rs.getTimestamp(4)
                                .toInstant(), rs.getString(5), rs.getObject(6) == null ? "-" : rs.getInt(6),
                                rs.getString(3));
                    }
                }
                if (model == null) {
                    System.out.println("No retrain has been attempted.");
                }
            }
            return 0;
        }
    }

    @Command(name = "reset", mixinStandardHelpOptions = true,
            description = "Close MODEL's retrain breaker: drift may trigger retraining again.")
    static final class Reset implements Callable<Integer> {
        @Mixin
        DbOptions db;

        @Parameters(paramLabel = "MODEL")
        String model;

        @Override
        public Integer call() throws Exception {
            try (Database d = db.open(System.err)) {
                if (!dev.converge.serve.monitor.Retrainer.reset(d.dataSource(), model,
                        System.getProperty("user.name", "converge"))) {
                    System.err.println("model '" + model + "' has no retrain breaker: nothing was ever retrained");
                    return 2;
                }
            }
            System.out.println("Retrain breaker of '" + model + "' closed: the next drift alert may retrain it.");
            return 0;
        }
    }
}
