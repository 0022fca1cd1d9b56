package dev.converge.train.pipeline;

import dev.converge.contracts.FeatureSchema;
import dev.converge.store.PitRow;
import dev.converge.train.Governor;
import dev.converge.train.TrainingTable;
import java.util.List;
import java.util.Set;

/** The values that flow between blocks, one per {@link Port}; each carries what later blocks need, nothing hidden. */
public final class Values {
    private Values() {}

    /** EVENTS: label events with their point-in-time features, the schema they were read with, the label rule. */
    public record Events(List<PitRow> rows, FeatureSchema schema, String label, TrainingTable.LabelRule rule,
                         Set<String> exclude, String featureSet, List<dev.converge.contracts.DerivedFeature> derived) {
        public Events(List<PitRow> rows, FeatureSchema schema, String label, TrainingTable.LabelRule rule,
                      Set<String> exclude) {
            this(rows, schema, label, rule, exclude, "", List.of());
        }

        public Events(List<PitRow> rows, FeatureSchema schema, String label, TrainingTable.LabelRule rule,
                      Set<String> exclude, String featureSet) {
            this(rows, schema, label, rule, exclude, featureSet, List.of());
        }
    }

    /** TABLE: the training table, the feature schema its columns come from, and its feature set ("" for none). */
    public record Table(TrainingTable table, FeatureSchema schema, String featureSet) {
        public Table(TrainingTable table, FeatureSchema schema) {
            this(table, schema, "");
        }
    }

    /** SPLITS: train/test row indexes per fold ({@code [0]} train, {@code [1]} test). */
    public record Splits(Table table, List<int[][]> folds, String kind) {}

    /** RUNS: every task's outcome and the governor's plan. */
    public record Runs(Splits splits, List<RunOutcome> runs, Governor.Plan plan) {}

    /** CHAMPION: the best run by the selection metric. */
    public record Champion(Runs runs, RunOutcome best, dev.converge.train.Metric metric) {}
}
