package dev.converge.serve.experiment;

import dev.converge.serve.model.ModelHandle;
import dev.converge.serve.outcome.OutcomeListener;
import dev.converge.serve.outcome.ScoredRow;
import dev.converge.serve.predict.ModelRef;

/**
 * What an experiment observes of the path's outcomes: each variant's answers, errors and times while one runs (the
 * canary's judge and the report read them), and the mirror of each answer the prediction log took to the shadow
 * variants. Registered after the prediction log, whose mark on the row it reads.
 */
public final class ExperimentOutcomes implements OutcomeListener {
    private final Variants variants;
    private final ShadowScorer shadows;

    public ExperimentOutcomes(Variants variants, ShadowScorer shadows) {
        this.variants = variants;
        this.shadows = shadows;
    }

    @Override
    public void scored(ScoredRow row) {
        VariantStats stats = variants.statsOf(row.ref(), row.model());
        if (stats != null) {
            stats.answered(row.timing().totalNanos());
        }
        if (row.logged().get()) {
            for (Variants.Arm shadow : variants.shadowsFor()) {
                shadows.offer(new ShadowScorer.Job(shadow, row.stored(), row.request(), row.eventTime(),
                        row.entityId(), row.predictionId()));
            }
        }
    }

    @Override
    public void failed(ModelHandle model, ModelRef ref, Throwable cause) {
        VariantStats stats = variants.statsOf(ref, model);
        if (stats != null) {
            stats.error();
        }
    }
}
