package dev.converge.train.pipeline;

import java.util.List;

/**
 * A kind of pipeline block: its name in pipeline files, its version, what it takes and gives, and how it reads its
 * options into a configured {@link Block}. Built-in types come from {@link BuiltinBlocks}; a team adds its own by
 * implementing {@link Provider} and listing it in {@code META-INF/services/dev.converge.train.pipeline.BlockType$Provider}.
 */
public interface BlockType {
    String name();

    SemVer version();

    Port in();

    Port out();

    /** Reads and checks the options (call {@link BlockOptions#done()} last); throws naming the bad key. */
    Block parse(BlockOptions options);

    /** Found with {@link java.util.ServiceLoader}; gives block types. */
    interface Provider {
        List<BlockType> types();
    }

    /** A block type from a name, a version, its ports and a parser. */
    static BlockType of(String name, String version, Port in, Port out,
                        java.util.function.Function<BlockOptions, Block> parser) {
        SemVer v = SemVer.parse(version);
        return new BlockType() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public SemVer version() {
                return v;
            }

            @Override
            public Port in() {
                return in;
            }

            @Override
            public Port out() {
                return out;
            }

            @Override
            public Block parse(BlockOptions options) {
                Block b = parser.apply(options);
                options.done();
                return b;
            }

            @Override
            public String toString() {
                return name + "@" + v;
            }
        };
    }
}
