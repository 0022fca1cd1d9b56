package dev.converge.train;

import dev.converge.contracts.FeatureSchema;
import dev.converge.contracts.FeatureSpec;
import dev.converge.contracts.FeatureType;
import dev.converge.contracts.Temperature;
import dev.converge.store.PitRow;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/** A small labelled data set with a learnable signal, as point-in-time rows. */
final class SyntheticData {
    static final FeatureSchema SCHEMA = new FeatureSchema(List.of(
            FeatureSpec.of("x1", FeatureType.NUMERIC, Temperature.HOT, true),
            FeatureSpec.of("x2", FeatureType.NUMERIC, Temperature.HOT, false),
            FeatureSpec.of("grade", FeatureType.CATEGORICAL, Temperature.HOT, false),
            FeatureSpec.of("label", FeatureType.CATEGORICAL, Temperature.HOT, false)));

    static List<PitRow> rows(int n, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        List<PitRow> out = new ArrayList<>();
        Instant start = Instant.parse("2023-01-01T00:00:00Z");
        for (int i = 0; i < n; i++) {
            double x1 = rnd.nextGaussian();
            double x2 = rnd.nextDouble() * 10;
            String grade = "ABCD".substring(rnd.nextInt(4)).substring(0, 1);
            double z = 1.5 * x1 - 0.3 * x2 + (grade.equals("A") ? 1.0 : 0.0) + rnd.nextGaussian() * 0.5;
            Map<String, Object> hot = new HashMap<>();
            hot.put("x1", i % 50 == 0 ? null : x1);
            hot.put("x2", x2);
            hot.put("grade", grade);
            hot.put("label", z > -1.2 ? "yes" : "no");
            Instant t = start.plusSeconds(86_400L * (i % 365));
            out.add(new PitRow(i, "e" + i, t, t, t, 1, hot, null));
        }
        return out;
    }
}
