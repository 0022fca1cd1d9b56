package dev.converge.train.pipeline;

import dev.converge.train.TrainingTable;

/** {@code to_table}: columns in schema order; numeric and timestamp as doubles, categorical and boolean as levels. */
public record ToTable() implements Block {
    static final BlockType TYPE = BlockType.of("to_table", "1.0", Port.EVENTS, Port.TABLE, o -> new ToTable());

    @Override
    public Values.Table run(BlockContext ctx, Object input) {
        Values.Events e = (Values.Events) input;
        TrainingTable t = TrainingTable.fromPit(e.rows(), e.schema(), e.label(), e.exclude(), e.rule());
        ctx.log().printf("  table: %,d rows x %d features, label '%s'%s%n", t.rows(), t.features().size(), e.label(),
                e.exclude().isEmpty() ? "" : ", excluded " + e.exclude());
        return new Values.Table(t, e.schema());
    }
}
