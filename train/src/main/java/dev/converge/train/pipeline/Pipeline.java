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
        return run(spec, false);
    }

    /**
     * Runs {@code spec}; with {@code dryRun}, or when the spec ends at its best run, stops there: the leaderboard is
     * kept (training_runs) and nothing is exported, registered or promoted.
     */
    public Outcome run(PipelineSpec spec, boolean dryRun) throws Exception {
        BlockContext bc = new BlockContext(ctx.db(), ctx.artifacts(), ctx.actor(), ctx.gitCommit(), ctx.log(),
                sweepId, spec.model());
        Object value = null;
        for (PipelineSpec.Step step : spec.steps()) {
            if (dryRun && step.type().out() == Port.REGISTERED) {
                ctx.log().printf("  [%s] %s skipped: a dry run registers nothing%n", step.id(), step.type().name());
                break;
            }
            long t0 = System.nanoTime();
            value = step.block().run(bc, value);
            ctx.log().printf("  [%s] %s done in %.1fs%n", step.id(), step.type().name(),
                    (System.nanoTime() - t0) / 1e9);
        }
        if (value instanceof Values.Champion c) { // a sweep: compared, nothing registered
            c.best().model().delete();
            return new Outcome(sweepId, c.runs().runs(), c.best(), c.metric(), null, null, false, c.runs().plan(),
                    dryRun ? "a dry run: nothing was registered" : "the pipeline ends at best_run: nothing was"
                    + " registered");
        }
        return (Outcome) value;
    }
}
