package dev.converge.train;

import hex.genmodel.MojoModel;
import hex.genmodel.easy.EasyPredictModelWrapper;
import hex.genmodel.easy.RowData;
import hex.genmodel.easy.exception.PredictException;
import hex.genmodel.easy.prediction.AbstractPrediction;
import hex.genmodel.easy.prediction.BinomialModelPrediction;
import hex.genmodel.easy.prediction.MultinomialModelPrediction;
import hex.genmodel.easy.prediction.RegressionModelPrediction;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Before a model is registered: load its MOJO with h2o-genmodel alone (as serving will), measure its scoring
 * latency on the reference rows, and check that genmodel reproduces H2O's in-cluster predictions to 1e-9. The
 * reference rows and predictions are kept, so serving can verify itself the same way at load time.
 */
public final class DeployabilityGate {
    public static final double PARITY_TOLERANCE = 1e-9;

    /** The verdict, the latency figures and the reference data to store with the model. */
    public record Result(boolean passed, String reason, double p50Micros, double p99Micros,
                         List<Map<String, Object>> referenceRows, List<Map<String, Object>> referencePredictions) {
        public Map<String, Object> latency() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("p50_us", p50Micros);
            m.put("p99_us", p99Micros);
            m.put("rows", referenceRows.size());
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
     * @param mojo          the exported artifact
     * @param rows          reference rows as RowData maps
     * @param inCluster     H2O's predictions for the same rows: per row, the class probabilities or the value
     */
    public Result check(Path mojo, List<Map<String, Object>> rows, List<double[]> inCluster) throws IOException {
        EasyPredictModelWrapper model = new EasyPredictModelWrapper(new EasyPredictModelWrapper.Config()
                .setModel(MojoModel.load(mojo.toString()))
                .setConvertUnknownCategoricalLevelsToNa(true));
        List<Map<String, Object>> predictions = new ArrayList<>();
        String parityFailure = null;
        for (int i = 0; i < rows.size(); i++) {
            double[] genmodel = predict(model, rows.get(i));
            Map<String, Object> p = new LinkedHashMap<>();
            p.put("values", genmodel);
            predictions.add(p);
            double[] expected = inCluster.get(i);
            for (int k = 0; k < expected.length && parityFailure == null; k++) {
                if (Math.abs(expected[k] - genmodel[k]) > PARITY_TOLERANCE) {
                    parityFailure = "parity check failed on reference row " + i + ", output " + k + ": H2O "
                            + expected[k] + " vs genmodel " + genmodel[k] + " (tolerance " + PARITY_TOLERANCE + ")";
                }
            }
        }
        long[] nanos = new long[rows.size() * passes];
        int n = 0;
        for (int pass = 0; pass < passes + 2; pass++) {
            for (Map<String, Object> row : rows) {
                long t0 = System.nanoTime();
                predict(model, row);
                long dt = System.nanoTime() - t0;
                if (pass >= 2) { // two warm-up passes
                    nanos[n++] = dt;
                }
            }
        }
        Arrays.sort(nanos);
        double p50 = nanos[(int) (nanos.length * 0.50)] / 1000.0;
        double p99 = nanos[Math.min(nanos.length - 1, (int) (nanos.length * 0.99))] / 1000.0;
        if (parityFailure != null) {
            return new Result(false, parityFailure, p50, p99, rows, predictions);
        }
        if (p99 > p99BudgetMicros) {
            return new Result(false, String.format("scoring p99 %.1f us exceeds the budget of %.1f us (p50 %.1f us,"
                    + " %d rows x %d passes, h2o-genmodel, one thread)", p99, p99BudgetMicros, p50, rows.size(),
                    passes), p50, p99, rows, predictions);
        }
        return new Result(true, "ok", p50, p99, rows, predictions);
    }

    /** One genmodel prediction as numbers: class probabilities, or the regression value. */
    static double[] predict(EasyPredictModelWrapper model, Map<String, Object> values) {
        RowData row = new RowData();
        row.putAll(values);
        try {
            AbstractPrediction p = switch (model.getModelCategory()) {
                case Binomial -> model.predictBinomial(row);
                case Multinomial -> model.predictMultinomial(row);
                case Regression -> model.predictRegression(row);
                default -> throw new IllegalArgumentException("unsupported model category "
                        + model.getModelCategory());
            };
            if (p instanceof BinomialModelPrediction b) {
                return b.classProbabilities;
            }
            if (p instanceof MultinomialModelPrediction m) {
                return m.classProbabilities;
            }
            return new double[] {((RegressionModelPrediction) p).value};
        } catch (PredictException e) {
            throw new IllegalStateException("genmodel could not score a reference row: " + e.getMessage(), e);
        }
    }
}
