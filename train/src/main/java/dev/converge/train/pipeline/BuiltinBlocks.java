package dev.converge.train.pipeline;

import java.util.List;

/** converge's own block types, found like any team's through {@link java.util.ServiceLoader}. */
public final class BuiltinBlocks implements BlockType.Provider {
    @Override
    public List<BlockType> types() {
        return List.of(PitLoader.TYPE, Derive.TYPE, BinaryLabel.TYPE, ToTable.TYPE, DropColumns.TYPE, RandomSplit.TYPE, Reduce.TYPE,
                WalkForwardSplit.TYPE, FanOut.TYPE, BestRun.TYPE, Export.TYPE);
    }
}
