package dev.converge.train.pipeline;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** {@code random_split}: a seeded random train/test split. */
public record RandomSplit(double ratio, long seed) implements Block {
    static final BlockType TYPE = BlockType.of("random_split", "1.0", Port.TABLE, Port.SPLITS, o ->
            new RandomSplit(o.numberBetweenExclusive("ratio", 0.8, 0, 1),
                    (long) o.number("seed", 42)));

    @Override
    public Values.Splits run(BlockContext ctx, Object input) {
        Values.Table t = (Values.Table) input;
        SplittableRandom rnd = new SplittableRandom(seed);
        List<Integer> train = new ArrayList<>();
        List<Integer> test = new ArrayList<>();
        for (int i = 0; i < t.table().rows(); i++) {
            (rnd.nextDouble() < ratio ? train : test).add(i);
        }
        return new Values.Splits(t, List.<int[][]>of(new int[][] {ints(train), ints(test)}), "random");
    }

    private static int[] ints(List<Integer> l) {
        return l.stream().mapToInt(Integer::intValue).toArray();
    }
}
