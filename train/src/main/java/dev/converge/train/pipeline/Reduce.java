package dev.converge.train.pipeline;

import dev.converge.model.Reducer;
import dev.converge.train.TrainingTable;
import hex.DataInfo;
import hex.pca.PCA;
import hex.pca.PCAModel;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import water.fvec.Frame;

/**
 * {@code reduce}: principal components (H2O's PCA; columns standardized, or only centred with
 * {@code transform: demean}) in place of many numeric columns, between
 * the split and the sweep. Fitted on the training rows of the last fold only, the rows the exported model learns
 * from, so the final test rows never shape it; {@code k} components, or the fewest that keep {@code variance} of the
 * standardized columns' variance. The table's columns are then computed by the PCA's own MOJO through h2o-genmodel,
 * the code serving runs, so training and serving cannot disagree; the MOJO is exported and registered beside the
 * model's ({@link Export}).
 *
 * <p>With walk-forward folds the earlier folds' test rows are among the last fold's training rows: their
 * components were fitted with their features (never their labels) in view. The run's log says so.
 */
public record Reduce(List<String> columns, Integer k, Double variance, boolean standardize) implements Block {
    static final BlockType TYPE = BlockType.of("reduce", "1.0", Port.SPLITS, Port.SPLITS, o -> {
        String method = o.string("method", "pca");
        if (!method.equals("pca")) {
            throw o.error("method", "must be pca (principal components of the standardized columns), was '" + method
                    + "'");
        }
        if (o.has("k") == o.has("variance")) {
            throw o.error(o.has("k") ? "variance" : "k", "give exactly one of k (how many components) and variance"
                    + " (the share of variance to keep, e.g. 0.99)");
        }
        Integer k = o.has("k") ? o.integer("k", 1, 1) : null;
        Double variance = o.has("variance") ? o.numberBetweenExclusive("variance", 0.99, 0, 1) : null;
        String transform = o.string("transform", "standardize");
        if (!transform.equals("standardize") && !transform.equals("demean")) {
            throw o.error("transform", "must be standardize (each column to unit variance first: columns of mixed"
                    + " scales) or demean (centred only: columns of one scale, such as pixels), was '" + transform
                    + "'");
        }
        return new Reduce(o.has("columns") ? o.strings("columns") : List.of(), k, variance,
                transform.equals("standardize"));
    });

    @Override
    public Values.Splits run(BlockContext ctx, Object input) throws Exception {
        Values.Splits s = (Values.Splits) input;
        TrainingTable table = s.table().table();
        List<String> inputs = inputs(table);
        int[] fit = s.folds().get(s.folds().size() - 1)[0];
        if (fit.length < 2) {
            throw new IllegalArgumentException("reduce: the last fold has " + fit.length + " training rows; PCA needs"
                    + " at least 2");
        }
        // H2O's PCA leaves out the columns constant on the fit rows; only the others give components.
        int varying = 0;
        for (TrainingTable.Column c : table.features()) {
            if (inputs.contains(c.name()) && varies(c.numbers(), fit)) {
                varying++;
            }
        }
        if (varying == 0) {
            throw new IllegalArgumentException("reduce: every one of the " + inputs.size() + " columns is constant on"
                    + " the training rows; nothing to reduce");
        }
        int most = Math.min(varying, fit.length - 1);
        if (k != null && k > most) {
            throw new IllegalArgumentException("reduce: k = " + k + " exceeds the " + most + " components "
                    + varying + " varying columns (of " + inputs.size() + ") and " + fit.length
                    + " training rows allow");
        }
        TrainingTable only = table.without(table.features().stream().map(TrainingTable.Column::name)
                .filter(n -> !inputs.contains(n)).toList());
        Frame frame = only.toFrame(fit, "reduce_fit_" + ctx.sweepId());
        try {
            PCAModel full = fit(frame, table.label().name(), k != null ? k : most, standardize);
            double[] cumulative = cumulative(full);
            int chosen = k != null ? k : firstReaching(cumulative, variance);
            PCAModel model = full;
            if (chosen != full._parms._k) {
                full.delete();
                model = fit(frame, table.label().name(), chosen, standardize);
                cumulative = cumulative(model);
            }
            double kept = cumulative[chosen - 1];
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            model.getMojo().writeTo(bytes);
            model.delete();
            List<String> outputs = new ArrayList<>();
            for (int i = 1; i <= chosen; i++) {
                outputs.add("PC" + i);
            }
            // H2O leaves out columns constant on the fit rows: they carry nothing, and leave the table too.
            List<String> used = Reducer.inputsOf(bytes.toByteArray());
            List<String> constant = inputs.stream().filter(c -> !used.contains(c)).toList();
            Reducer reducer = Reducer.fromBytes(bytes.toByteArray(), "reduce (pca)", used, outputs);
            int n = table.rows();
            double[][] out = new double[chosen][n];
            for (int r = 0; r < n; r++) {
                double[] dims = reducer.reduce(table.rowData(r));
                for (int j = 0; j < chosen; j++) {
                    out[j][r] = dims[j];
                }
            }
            List<TrainingTable.Column> columns = new ArrayList<>();
            for (int j = 0; j < chosen; j++) {
                columns.add(new TrainingTable.Column(outputs.get(j), false, out[j], null, null));
            }
            TrainingTable reduced = table.without(constant).reduced(new TrainingTable.Reduction("pca", used, outputs,
                    bytes.toByteArray(), kept, fit.length, table), columns);
            if (!constant.isEmpty()) {
                ctx.log().printf("  reduce: %d of the %d columns are constant on the fit rows and are left out: %s%n",
                        constant.size(), inputs.size(), constant.size() <= 10 ? constant
                                : constant.subList(0, 10) + " and " + (constant.size() - 10) + " more");
            }
            ctx.log().printf("  reduce: pca of %d columns to %d components keeping %.2f%% of their (%s)"
                            + " variance, fitted on the last fold's %,d training rows; %d features -> %d%n",
                    used.size(), chosen, kept * 100, standardize ? "standardized" : "centred", fit.length,
                    table.features().size(), reduced.features().size());
            if (s.folds().size() > 1) {
                ctx.log().printf("  reduce: the %d earlier folds' test rows are among those training rows (their"
                        + " features, not their labels, shaped the components)%n", s.folds().size() - 1);
            }
            return new Values.Splits(new Values.Table(reduced, s.table().schema(), s.table().featureSet()), s.folds(),
                    s.kind());
        } finally {
            frame.delete();
        }
    }

    /** The columns to reduce: those named (a vector feature stands for its components), else every numeric one. */
    private List<String> inputs(TrainingTable table) {
        Set<String> numeric = new LinkedHashSet<>();
        for (TrainingTable.Column c : table.features()) {
            if (!c.categorical() && table.derived().stream().noneMatch(d -> d.name().equals(c.name()))) {
                numeric.add(c.name());
            }
        }
        if (columns.isEmpty()) {
            if (numeric.size() < 2) {
                throw new IllegalArgumentException("reduce: the table has " + numeric.size() + " numeric columns;"
                        + " nothing to reduce");
            }
            return List.copyOf(numeric);
        }
        List<String> out = new ArrayList<>();
        for (String name : columns) {
            List<String> components = numeric.stream().filter(c -> c.startsWith(name + "[")).toList();
            if (numeric.contains(name)) {
                out.add(name);
            } else if (!components.isEmpty()) {
                out.addAll(components);
            } else {
                throw new IllegalArgumentException("reduce: '" + name + "' is not a numeric column or vector feature"
                        + " of the table (numeric: " + (numeric.size() <= 20 ? numeric : numeric.size() + " columns")
                        + ")");
            }
        }
        return out;
    }

    private static boolean varies(double[] values, int[] rows) {
        double first = Double.NaN;
        for (int r : rows) {
            double v = values[r];
            if (Double.isNaN(v)) {
                continue;
            }
            if (Double.isNaN(first)) {
                first = v;
            } else if (v != first) {
                return true;
            }
        }
        return false;
    }

    private static PCAModel fit(Frame frame, String label, int k, boolean standardize) {
        PCAModel.PCAParameters p = new PCAModel.PCAParameters();
        p._train = frame._key;
        p._ignored_columns = new String[] {label};
        p._k = k;
        p._transform = standardize ? DataInfo.TransformType.STANDARDIZE : DataInfo.TransformType.DEMEAN;
        p._pca_method = PCAModel.PCAParameters.Method.GramSVD;
        p._impute_missing = true;
        p._seed = 42;
        return new PCA(p).trainModel().get();
    }

    /** The cumulative share of variance of the first 1..k components, from the model's importance table. */
    private static double[] cumulative(PCAModel m) {
        var t = m._output._importance;
        int row = -1;
        for (int r = 0; r < t.getRowDim(); r++) {
            if (t.getRowHeaders()[r].startsWith("Cumulative")) {
                row = r;
            }
        }
        double[] out = new double[t.getColDim()];
        for (int c = 0; c < out.length; c++) {
            out[c] = ((Number) t.get(row, c)).doubleValue();
        }
        return out;
    }

    private static int firstReaching(double[] cumulative, double target) {
        for (int i = 0; i < cumulative.length; i++) {
            if (cumulative[i] >= target) {
                return i + 1;
            }
        }
        return cumulative.length;
    }
}
