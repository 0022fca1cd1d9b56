package dev.converge.train;

import dev.converge.model.Mojo;
import dev.converge.model.Parity;
import dev.converge.model.ReferencePredictions;
import dev.converge.model.ScoringLatency;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Before a model is registered: load its MOJO with h2o-genmodel alone (as serving will), measure its scoring
 * latency on the reference rows, and check that genmodel reproduces H2O's in-cluster predictions within
 * {@link Parity#TOLERANCE}. The reference rows and genmodel's outputs are kept, so serving can verify itself the
 * same way at load time.
 */
public final class DeployabilityGate {
    /** The verdict, the latency figures and the reference data to store with the model. */
    public record Result(boolean passed, String reason, double p50Micros, double p99Micros,
                         ReferencePredictions reference) {
        public Map<String, Object> latency() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("p50_us", p50Micros);
            m.put("p99_us", p99Micros);
            m.put("rows", reference.rows().size());
            return m;
        }
    }

    private final double p99BudgetMicros;
    private final int passes;

    public DeployabilityGate(double p99BudgetMicros, int passes) {
        if (p99BudgetMicros <= 0 || passes < 1) {
            throw new IllegalArgumentException("scoring budget must be > 0 us and passes >= 1, was "
                    + p99BudgetMicros + " us, " + passes + " passes");
        }
        this.p99BudgetMicros = p99BudgetMicros;
        this.passes = passes;
    }

    /**
     * @param mojo      the exported artifact
     * @param rows      reference rows as genmodel row maps
     * @param inCluster H2O's predictions for the same rows: per row, the class probabilities or the value
     */
    public Result check(Path mojo, List<Map<String, Object>> rows, List<double[]> inCluster) throws IOException {
        return check(mojo, null, null, null, rows, inCluster);
    }

    /**
     * As above, with a reducer MOJO (PCA) in front of the model, reading {@code inputs} and writing {@code outputs}:
     * the rows are the raw inputs, and both MOJOs score them, as serving will (parity and latency of the chain).
     */
    public Result check(Path mojo, Path reducer, List<String> reducerInputs, List<String> reducerOutputs,
                        List<Map<String, Object>> rows, List<double[]> inCluster) throws IOException {
        Mojo model = Mojo.load(mojo);
        if (reducer != null) {
            model = model.withReducer(dev.converge.model.Reducer.fromBytes(java.nio.file.Files.readAllBytes(reducer),
                    reducer.toString(), reducerInputs, reducerOutputs));
        }
        List<double[]> outputs = new ArrayList<>();
        Optional<String> parityFailure = Optional.empty();
        for (int i = 0; i < rows.size(); i++) {
            double[] genmodel;
            try {
                genmodel = model.raw(rows.get(i));
            } catch (IllegalArgumentException e) {
                throw new IllegalStateException("genmodel could not score a reference row: " + e.getMessage(), e);
            }
            outputs.add(genmodel);
            if (parityFailure.isEmpty()) {
                parityFailure = Parity.mismatch(i, inCluster.get(i), genmodel);
            }
        }
        ReferencePredictions reference = new ReferencePredictions(rows, outputs);
        // Two passes over the rows to warm up, then `passes` timed passes.
        ScoringLatency latency = ScoringLatency.measure(model, rows,
                new ScoringLatency.Plan(2 * rows.size(), 0, rows.size() * passes));
        double p50 = latency.p50Micros();
        double p99 = latency.p99Micros();
        if (parityFailure.isPresent()) {
            return new Result(false, "parity check failed, H2O in-cluster vs genmodel: " + parityFailure.get(),
                    p50, p99, reference);
        }
        if (p99 > p99BudgetMicros) {
            return new Result(false, String.format("scoring p99 %.1f us exceeds the budget of %.1f us (p50 %.1f us,"
                    + " %d rows x %d passes, h2o-genmodel, one thread)", p99, p99BudgetMicros, p50, rows.size(),
                    passes), p50, p99, reference);
        }
        return new Result(true, "ok", p50, p99, reference);
    }
}
