package dev.converge.train.pipeline;

import dev.converge.train.WalkForward;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code walk_forward}: folds over time, leakage checked on every fold. {@code period} (day, week, month; default
 * month), {@code test_periods} per fold (1), {@code gap_periods} between training and test (0), {@code folds} (2):
 * the last folds' test windows, each on a model trained on everything before its gap.
 */
public record WalkForwardSplit(int folds, WalkForward.Period period, int testPeriods, int gapPeriods) implements Block {
    static final BlockType TYPE = BlockType.of("walk_forward", "1.1", Port.TABLE, Port.SPLITS, o -> {
        WalkForward.Period period;
        try {
            period = WalkForward.Period.of(o.string("period", "month"));
        } catch (IllegalArgumentException e) {
            throw o.error("period", e.getMessage());
        }
        return new WalkForwardSplit(o.integer("folds", 2, 1), period, o.integer("test_periods", 1, 1),
                o.integer("gap_periods", 0, 0));
    });

    @Override
    public Values.Splits run(BlockContext ctx, Object input) {
        Values.Table t = (Values.Table) input;
        List<int[][]> out = new ArrayList<>();
        for (WalkForward.Fold f : WalkForward.periodic(t.table().times(), period, testPeriods, gapPeriods, folds)) {
            ctx.log().printf("  fold %d: train %,d rows up to %s, test %,d rows from %s%n", f.number(),
                    f.train().length, f.maxTrainTime(), f.test().length, f.minTestTime());
            out.add(new int[][] {f.train(), f.test()});
        }
        return new Values.Splits(t, out, "walk_forward");
    }
}
