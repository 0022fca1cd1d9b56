package dev.converge.train.pipeline;

import dev.converge.contracts.FeatureSpec;
import dev.converge.contracts.FeatureType;
import dev.converge.train.TrainingTable;
import java.util.List;

/**
 * {@code to_table}: columns in schema order; numeric and timestamp as doubles, categorical and boolean as levels.
 * {@code task}: {@code auto} (default: a categorical label, or a numeric one with exactly two values such as 0/1,
 * is classification; other numeric labels are regression), {@code classification} or {@code regression}. The
 * choice and its reason are logged. For a label with two classes, {@code positive_class} names the class the model's
 * probability, threshold and AUC are about; without it, it is {@code binary_label}'s positive name, else the second
 * class in sort order (H2O's rule), and the log says which and why.
 */
public record ToTable(String task, String positiveClass) implements Block {
    static final BlockType TYPE = BlockType.of("to_table", "1.2", Port.EVENTS, Port.TABLE, o -> {
        String task = o.string("task", "auto");
        if (!List.of("auto", "classification", "regression").contains(task)) {
            throw new IllegalArgumentException("task must be auto, classification or regression, was '" + task + "'");
        }
        String positive = o.has("positive_class") ? o.string("positive_class") : null;
        if (positive != null && task.equals("regression")) {
            throw o.error("positive_class", "applies to a label with two classes, not to task: regression");
        }
        return new ToTable(task, positive);
    });

    @Override
    public Values.Table run(BlockContext ctx, Object input) {
        Values.Events e = (Values.Events) input;
        TrainingTable.LabelRule rule = e.rule();
        String why;
        FeatureType labelType = e.schema().feature(e.label()).map(FeatureSpec::type).orElse(null);
        if (rule != null) {
            why = "classification (a derived label)";
        } else if (labelType != FeatureType.NUMERIC) {
            why = "classification (a " + (labelType == null ? "missing" : labelType.wireName()) + " label)";
            if (task.equals("regression")) {
                throw new IllegalArgumentException("task: regression needs a numeric label; '" + e.label() + "' is "
                        + (labelType == null ? "not in the schema" : labelType.wireName()));
            }
        } else {
            java.util.Set<Object> values = TrainingTable.distinct(e.rows(), e.label(), 2);
            boolean twoValued = values.size() == 2;
            if (task.equals("classification") || task.equals("auto") && twoValued) {
                rule = TrainingTable.LabelRule.asClasses();
                why = "classification (" + (task.equals("auto") ? "a numeric label with two values " + new java.util
                        .TreeSet<>(values.stream().map(String::valueOf).toList()) + "; task: regression to override"
                        : "task: classification") + ")";
            } else {
                why = "regression (a numeric label" + (task.equals("auto") ? " with " + (values.size() > 2
                        ? "more than two" : values.size()) + " values; task: classification to override" : "") + ")";
            }
        }
        TrainingTable t = TrainingTable.fromPit(e.rows(), e.schema(), e.label(), e.exclude(), rule, e.derived());
        ctx.log().printf("  table: %,d rows x %d features, label '%s': %s%s%n", t.rows(), t.features().size(),
                e.label(), why, e.exclude().isEmpty() ? "" : ", excluded " + e.exclude());
        if (positiveClass != null) {
            t = t.withPositiveClass(positiveClass);
        }
        if (t.positiveClass() != null) {
            ctx.log().printf("  positive class: '%s' (%s); the probability, threshold and AUC are about it%n",
                    t.positiveClass(), positiveClass != null ? "positive_class" : e.rule() != null
                            ? "binary_label's positive name" : "the second class in sort order; to_table's"
                            + " positive_class chooses another");
        }
        return new Values.Table(t, e.schema(), e.featureSet());
    }
}
