package dev.converge.cli;

import dev.converge.serve.monitor.LiveMetrics;
import dev.converge.store.Database;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "feedback", mixinStandardHelpOptions = true, subcommands = FeedbackCommand.Metrics.class,
        description = "Ground truth sent to POST /v1/feedback, joined with the prediction log.")
final class FeedbackCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    @Command(name = "metrics", mixinStandardHelpOptions = true, description = {"Live metrics per model version from"
            + " the predictions that received a label: accuracy (95%% Wilson interval), log loss and AUC (95%% interval,"
            + " Hanley-McNeil) for classifiers; RMSE and MAE for regressions."})
    static final class Metrics implements Callable<Integer> {
        @Mixin
        DbOptions db;

        @Option(names = "--model", description = "only this model")
        String model;

        @Option(names = "--days", defaultValue = "30", description = "predictions of the last N days (default 30)")
        int days;

        @Override
        public Integer call() throws Exception {
            Map<String, List<LiveMetrics.Labelled>> byVersion = new LinkedHashMap<>();
            try (Database d = db.open(System.err); Connection c = d.connection(); PreparedStatement q =
                    c.prepareStatement("SELECT l.model, l.version, l.output::text, f.label::text FROM prediction_log l"
                            + " JOIN prediction_feedback f ON f.prediction_id = l.id WHERE l.predicted_at >= now() -"
                            + " make_interval(days => ?) AND (?::text IS NULL OR l.model = ?) AND"
                            + dev.converge.serve.monitor.PredictionLog.modelAnswers("l") + " ORDER BY 1, 2")) {
                q.setInt(1, days);
                q.setString(2, model);
                q.setString(3, model);
                try (ResultSet rs = q.executeQuery()) {
                    while (rs.next()) {
                        byVersion.computeIfAbsent(rs.getString(1) + " v" + rs.getInt(2), k -> new ArrayList<>())
                                .add(LiveMetrics.Labelled.fromJson(rs.getString(3), rs.getString(4)));
                    }
                }
            }
            if (byVersion.isEmpty()) {
                System.out.println("No logged prediction of the last " + days + " days has feedback"
                        + (model == null ? "" : " for model '" + model + "'") + ".");
                return 0;
            }
            byVersion.forEach((version, rows) -> System.out.println(version + ": "
                    + Figures.line(LiveMetrics.of(rows))));
            return 0;
        }
    }
}
