package dev.converge.serve.predict;

import java.util.List;

/** What became of a batch: a result per row (a bad row fails no other), or the whole batch refused. */
public sealed interface BatchOutcome {
    /** Every row's outcome, in request order: Scored, Degraded, Invalid or Malformed. */
    record Rows(ModelRef model, List<PredictionOutcome> rows) implements BatchOutcome {
        public Rows {
            rows = List.copyOf(rows);
        }
    }

    /** The batch holds no rows or more than {@code max}. */
    record BadSize(int size, int max) implements BatchOutcome {}

    /** The whole batch was refused: {@link PredictionOutcome.Shed} or {@link PredictionOutcome.NotReady}. */
    record Refused(PredictionOutcome why) implements BatchOutcome {}
}
