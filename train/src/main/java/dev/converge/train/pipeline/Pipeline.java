package dev.converge.train.pipeline;

import dev.converge.store.Database;
import java.io.PrintStream;
import java.util.UUID;

/**
 * Runs a {@link PipelineSpec}: each block's value flows to the next; the spec has already been checked for wiring
 * and options, so what fails here is the work itself.
 */
public final class Pipeline {
    /** Where a run writes and who it says it is. */
    public record Context(Database db, String artifacts, String actor, String gitCommit, PrintStream log) {}

    private final Context ctx;
    private final UUID sweepId = UUID.randomUUID();

    public Pipeline(Context ctx) {
        this.ctx = ctx;
    }

    public Outcome run(PipelineSpec spec) throws Exception {
        BlockContext bc = new BlockContext(ctx.db(), ctx.artifacts(), ctx.actor(), ctx.gitCommit(), ctx.log(),
                sweepId, spec.model());
        Object value = null;
        for (PipelineSpec.Step step : spec.steps()) {
            long t0 = System.nanoTime();
            value = step.block().run(bc, value);
            ctx.log().printf("  [%s] %s done in %.1fs%n", step.id(), step.type().name(),
                    (System.nanoTime() - t0) / 1e9);
        }
        return (Outcome) value;
    }
}
