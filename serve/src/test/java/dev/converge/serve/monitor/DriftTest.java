package dev.converge.serve.monitor;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class DriftTest {
    /** Decile edges and shares of a standard normal, as train.Baselines stores them. */
    static Map<String, Object> normalBaseline() {
        Random r = new Random(1);
        double[] v = new double[100_000];
        for (int i = 0; i < v.length; i++) {
            v[i] = r.nextGaussian();
        }
        java.util.Arrays.sort(v);
        List<Object> edges = new ArrayList<>();
        for (int i = 1; i < 10; i++) {
            edges.add(v[i * v.length / 10]);
        }
        List<Object> shares = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            shares.add(0.1);
        }
        return Map.of("type", "numeric", "edges", edges, "shares", shares, "missing_share", 0.0);
    }

    static List<Object> normal(int n, double mean, long seed) {
        Random r = new Random(seed);
        List<Object> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(mean + r.nextGaussian());
        }
        return out;
    }

    @Test
    void aMeanMovedByOneStandardDeviationIsAnAlertAndTheSameDistributionIsNot() {
        Drift.FeatureDrift same = Drift.numeric("x", normalBaseline(), normal(10_000, 0, 2));
        Drift.FeatureDrift shifted = Drift.numeric("x", normalBaseline(), normal(10_000, 1, 3));

        assertThat(same.psi()).isLessThan(0.01);
        assertThat(same.level(0.1, 0.25)).isEqualTo("ok");
        assertThat(shifted.psi()).isGreaterThan(0.25);
        assertThat(shifted.level(0.1, 0.25)).isEqualTo("alert");
        // the exact KS of N(0,1) against N(1,1) is 0.383; on decile bins it is a lower bound, close to it
        assertThat(shifted.ks()).isBetween(0.30, 0.39);
        assertThat(same.ks()).isLessThan(0.03);
    }

    @Test
    void missingValuesAndUnseenLevelsAreBinsOfTheirOwn() {
        Map<String, Object> baseline = Map.of("type", "categorical", "shares", Map.of("a", 0.5, "b", 0.5),
                "missing_share", 0.0);
        List<Object> values = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            values.add(i % 10 == 0 ? "z" : i % 10 == 1 ? null : i % 2 == 0 ? "a" : "b");
        }

        Drift.FeatureDrift d = Drift.categorical("c", baseline, values);

        assertThat(d.bins().get(Drift.UNSEEN)[1]).isEqualTo(0.1);
        assertThat(d.bins().get(Drift.MISSING)[1]).isEqualTo(0.1);
        assertThat(d.bins().get(Drift.UNSEEN)[0]).isZero();
        assertThat(d.psi()).as("an empty expected bin counts as epsilon: finite").isFinite().isGreaterThan(0.25);
        assertThat(d.ks()).isNull();
    }

    @Test
    void noRowsIsNoDataNotOk() {
        Drift.FeatureDrift d = Drift.numeric("x", normalBaseline(), List.of());

        assertThat(d.level(0.1, 0.25)).isEqualTo("no_data");
        assertThat(d.ks()).isNull();
    }

    @Test
    void fiftyFeaturesOverTenThousandRows() {
        Map<String, Object> baselines = new java.util.LinkedHashMap<>();
        List<Map<String, Object>> rows = new ArrayList<>();
        for (int f = 0; f < 50; f++) {
            baselines.put("f" + f, normalBaseline());
        }
        Random r = new Random(4);
        for (int i = 0; i < 10_000; i++) {
            Map<String, Object> row = new java.util.HashMap<>();
            for (int f = 0; f < 50; f++) {
                row.put("f" + f, r.nextGaussian());
            }
            rows.add(row);
        }

        List<Drift.FeatureDrift> all = Drift.all(baselines, rows);

        assertThat(all).hasSize(50).allMatch(d -> d.rows() == 10_000 && d.psi() < 0.01);
    }

    @Test
    void thePredictionsBaselineReadsWhatItMeasuresFromTheLoggedOutput() {
        Map<String, Object> output = Map.of("prediction", "good", "probabilities", Map.of("bad", 0.2, "good", 0.8));

        assertThat(DriftJob.predictedValue(Map.of("source", "probability", "class", "good"), output)).isEqualTo(0.8);
        assertThat(DriftJob.predictedValue(Map.of("source", "label"), output)).isEqualTo("good");
        assertThat(DriftJob.predictedValue(Map.of("source", "value"), Map.of("prediction", 3.5))).isEqualTo(3.5);
    }
}
