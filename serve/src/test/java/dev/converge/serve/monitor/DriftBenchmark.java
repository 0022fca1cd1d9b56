package dev.converge.serve.monitor;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/** PSI and KS of 50 features (40 numeric, 10 categorical of 20 levels) over a 10,000-row sample (docs/perf.md). */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class DriftBenchmark {
    Map<String, Object> baselines;
    List<Map<String, Object>> rows;

    @Setup
    public void setUp() {
        baselines = new LinkedHashMap<>();
        Map<String, Object> levels = new LinkedHashMap<>();
        for (int l = 0; l < 20; l++) {
            levels.put("level" + l, 0.05);
        }
        for (int f = 0; f < 50; f++) {
            baselines.put("f" + f, f < 40 ? DriftTest.normalBaseline()
                    : Map.of("type", "categorical", "shares", levels, "missing_share", 0.0));
        }
        Random r = new Random(5);
        rows = new ArrayList<>();
        for (int i = 0; i < 10_000; i++) {
            Map<String, Object> row = new HashMap<>();
            for (int f = 0; f < 50; f++) {
                row.put("f" + f, f < 40 ? (Object) r.nextGaussian() : "level" + r.nextInt(21));
            }
            rows.add(row);
        }
    }

    @Benchmark
    public List<Drift.FeatureDrift> fiftyFeaturesTenThousandRows() {
        return Drift.all(baselines, rows);
    }
}
