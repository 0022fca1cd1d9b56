package dev.converge.train.pipeline;

import dev.converge.train.WalkForward;
import java.util.ArrayList;
import java.util.List;

/** {@code walk_forward}: monthly folds, train on months 1..k and test on k+1, leakage checked on every fold. */
public record WalkForwardSplit(int folds) implements Block {
    static final BlockType TYPE = BlockType.of("walk_forward", "1.0", Port.TABLE, Port.SPLITS, o ->
            new WalkForwardSplit(o.integer("folds", 2, 1)));

    @Override
    public Values.Splits run(BlockContext ctx, Object input) {
        Values.Table t = (Values.Table) input;
        List<int[][]> out = new ArrayList<>();
        for (WalkForward.Fold f : WalkForward.monthly(t.table().times(), folds)) {
            ctx.log().printf("  fold %d: train %,d rows up to %s, test %,d rows from %s%n", f.number(),
                    f.train().length, f.maxTrainTime(), f.test().length, f.minTestTime());
            out.add(new int[][] {f.train(), f.test()});
        }
        return new Values.Splits(t, out, "walk_forward");
    }
}
