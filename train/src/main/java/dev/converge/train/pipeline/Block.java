package dev.converge.train.pipeline;

/**
 * A configured pipeline step: its options already read and checked when the file was loaded. Running it turns the
 * value the previous block gave into the value the next one takes. The built-in kinds are records, one per kind;
 * a team's own blocks implement {@link Extension}.
 */
public sealed interface Block permits PitLoader, Derive, BinaryLabel, ToTable, DropColumns, RandomSplit, WalkForwardSplit, Reduce,
        FanOut, BestRun, Export, Block.Extension {
    Object run(BlockContext ctx, Object input) throws Exception;

    /** A block type provided outside converge (see {@link BlockType.Provider}). */
    non-sealed interface Extension extends Block {}
}
