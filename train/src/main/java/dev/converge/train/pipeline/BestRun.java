package dev.converge.train.pipeline;

import dev.converge.train.Metric;
import dev.converge.train.TrainingTable;

/**
 * {@code best_run}: the best succeeded run of one segment ("all" unless {@code segment} says otherwise) by a holdout
 * metric (default: AUC for two classes, log loss for more, RMSE for regression). A model trained on one segment is
 * measured on that segment only, so it competes only with models of the same segment.
 */
public record BestRun(Metric metric, String segment) implements Block {
    static final BlockType TYPE = BlockType.of("best_run", "1.0", Port.RUNS, Port.CHAMPION, o -> {
        Metric metric = null;
        if (o.has("metric")) {
            try {
                metric = Metric.fromWireName(o.string("metric"));
            } catch (IllegalArgumentException e) {
                throw o.error("metric", e.getMessage().replaceFirst("^metric ", ""));
            }
        }
        return new BestRun(metric, o.string("segment", "all"));
    });

    @Override
    public Values.Champion run(BlockContext ctx, Object input) {
        Values.Runs runs = (Values.Runs) input;
        TrainingTable table = runs.splits().table().table();
        Metric m = metric != null ? metric : Metric.defaultFor(table.classification(),
                table.classification() ? table.label().domain().length : 0);
        RunOutcome best = null;
        for (RunOutcome r : runs.runs()) {
            if (!"succeeded".equals(r.status()) || !(r.metrics().get(m.wireName()) instanceof Number)
                    || !r.config().segment().equals(segment)) {
                continue;
            }
            if (best == null || m.gain(value(r, m), value(best, m)) > 0) {
                best = r;
            }
        }
        if (best == null) {
            throw new IllegalStateException("no training run succeeded with metric '" + m + "': "
                    + runs.runs().stream().map(r -> r.index() + "=" + r.status() + (r.error() == null ? ""
                    : " (" + r.error() + ")")).toList());
        }
        for (RunOutcome r : runs.runs()) {
            if (r != best && r.model() != null) {
                r.model().delete();
            }
        }
        ctx.log().printf("  champion: task %d %s, %s %.5f%n", best.index(), best.config(), m, value(best, m));
        return new Values.Champion(runs, best, m);
    }

    static double value(RunOutcome r, Metric m) {
        return ((Number) r.metrics().get(m.wireName())).doubleValue();
    }
}
