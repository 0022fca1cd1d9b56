package dev.converge.train;

import dev.converge.train.pipeline.Block;
import dev.converge.train.pipeline.BlockContext;
import dev.converge.train.pipeline.BlockType;
import dev.converge.train.pipeline.Port;
import java.util.List;

/** A team's own block type, found through ServiceLoader (src/test/resources/META-INF/services). */
public final class ExtensionBlocks implements BlockType.Provider {
    /** Passes the table through; {@code note} is a required option. */
    record Passthrough(String note) implements Block.Extension {
        @Override
        public Object run(BlockContext ctx, Object input) {
            return input;
        }
    }

    @Override
    public List<BlockType> types() {
        return List.of(BlockType.of("passthrough", "1.2.0", Port.TABLE, Port.TABLE,
                o -> new Passthrough(o.string("note"))));
    }
}
