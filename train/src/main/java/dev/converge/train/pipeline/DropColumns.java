package dev.converge.train.pipeline;

import dev.converge.train.TrainingTable;
import java.util.List;

/** {@code drop_columns}: leave features out of the table. */
public record DropColumns(List<String> columns) implements Block {
    static final BlockType TYPE = BlockType.of("drop_columns", "1.0", Port.TABLE, Port.TABLE, o -> {
        List<String> columns = o.strings("columns");
        if (columns.isEmpty()) {
            throw o.error("columns", "must list at least one feature");
        }
        return new DropColumns(columns);
    });

    @Override
    public Values.Table run(BlockContext ctx, Object input) {
        Values.Table t = (Values.Table) input;
        TrainingTable out = t.table().without(columns);
        ctx.log().printf("  dropped %s: %d features left%n", columns, out.features().size());
        return new Values.Table(out, t.schema(), t.featureSet());
    }
}
