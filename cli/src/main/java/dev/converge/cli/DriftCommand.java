package dev.converge.cli;

import dev.converge.store.Database;
import java.io.PrintStream;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "drift", mixinStandardHelpOptions = true, subcommands = DriftCommand.Report.class,
        description = "Drift of the served features against the training baselines (the server computes it).")
final class DriftCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    @Command(name = "report", mixinStandardHelpOptions = true,
            description = {"The latest drift run of each model (or of --model): PSI and KS per feature, worst first.",
                    "Exits 3 when a feature is at the alert level."})
    static final class Report implements Callable<Integer> {
        @Mixin
        DbOptions db;

        @Option(names = "--model", description = "only this model")
        String model;

        @Override
        public Integer call() throws Exception {
            try (Database d = db.open(System.err); Connection c = d.connection()) {
                return print(c, model, System.out) ? 3 : 0;
            }
        }

        /** Prints the latest run per model; returns whether any feature is at the alert level. */
        static boolean print(Connection c, String model, PrintStream out) throws SQLException {
            boolean alert = false;
            try (PreparedStatement q = c.prepareStatement("WITH latest AS (SELECT DISTINCT ON (model) model, run_id"
                    + " FROM drift_reports WHERE (?::text IS NULL OR model = ?) ORDER BY model, computed_at DESC)"
                    + " SELECT r.model, r.version, r.computed_at, r.window_start, r.window_end, r.sample_rows,"
                    + " r.feature, r.psi, r.ks, r.level FROM drift_reports r JOIN latest USING (model, run_id)"
                    + " ORDER BY r.model, r.psi DESC NULLS LAST, r.feature")) {
                q.setString(1, model);
                q.setString(2, model);
                String current = null;
                int shown = 0;
                try (ResultSet rs = q.executeQuery()) {
                    while (rs.next()) {
                        if (!rs.getString(1).equals(current)) {
                            current = rs.getString(1);
                            out.printf("%nModel %s v%d: drift run at %s over %s .. %s, %,d predictions sampled%n",
                                    current, rs.getInt(2), rs.getTimestamp(3).toInstant(),
                                    rs.getTimestamp(4).toInstant(), rs.getTimestamp(5).toInstant(), rs.getInt(6));
                            out.printf("  %-32s %8s %8s  %s%n", "feature", "PSI", "KS", "level");
                        }
                        double psi = rs.getDouble(8);
                        boolean noPsi = rs.wasNull();
                        double ks = rs.getDouble(9);
                        boolean noKs = rs.wasNull();
                        out.printf("  %-32s %8s %8s  %s%n", rs.getString(7), noPsi ? "-" : String.format("%.4f", psi),
                                noKs ? "-" : String.format("%.4f", ks), rs.getString(10));
                        alert |= "alert".equals(rs.getString(10));
                        shown++;
                    }
                }
                if (shown == 0) {
                    out.println(model == null ? "No drift run has been recorded yet." : "No drift run has been"
                            + " recorded for model '" + model + "' yet.");
                }
            }
            return alert;
        }
    }
}
