package dev.converge.train.pipeline;

import dev.converge.train.TrainingTable;

/** {@code binary_label}: a 0/1 label from the label column, the {@code negative} value against all the rest. */
public record BinaryLabel(String negative, String positiveName, String negativeName) implements Block {
    static final BlockType TYPE = BlockType.of("binary_label", "1.0", Port.EVENTS, Port.EVENTS, o ->
            new BinaryLabel(o.string("negative"), o.string("positive_name", "yes"), o.string("negative_name", "no")));

    @Override
    public Values.Events run(BlockContext ctx, Object input) {
        Values.Events e = (Values.Events) input;
        return new Values.Events(e.rows(), e.schema(), e.label(),
                TrainingTable.LabelRule.notEqual(negative, positiveName, negativeName), e.exclude(), e.featureSet(),
                e.derived());
    }
}
