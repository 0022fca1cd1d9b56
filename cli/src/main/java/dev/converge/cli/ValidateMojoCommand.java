package dev.converge.cli;

import dev.converge.model.H2oCompatibility;
import dev.converge.model.Mojo;
import dev.converge.model.MojoInfo;
import dev.converge.model.Parity;
import dev.converge.model.ReferencePredictions;
import dev.converge.model.ScoringLatency;
import dev.converge.registry.codec.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "validate-mojo", mixinStandardHelpOptions = true, description = {"Check a MOJO before it is"
        + " registered or served, as the server will: its structure and versions (model.ini; an H2O no newer than this"
        + " converge's h2o-genmodel), its size, load time and heap, its scoring cost, and, with --reference, that it"
        + " reproduces reference predictions to 1e-9. Prints a verdict per check; exit 0 when all pass, 1 otherwise."})
final class ValidateMojoCommand implements Callable<Integer> {
    @Parameters(paramLabel = "MODEL.zip")
    Path mojo;

    @Option(names = "--reference", paramLabel = "FILE.json", description = "reference rows and predictions:"
            + " {\"reference_rows\": [{feature: value}...], \"reference_predictions\": [{\"values\": [...]}...]}, as"
            + " `converge train` exports them")
    Path reference;

    @Option(names = "--max-size-mb", defaultValue = "500", description = "refuse a larger artifact (default 500)")
    double maxSizeMb;

    record Check(String name, boolean passed, String detail) {}

    @Override
    @SuppressWarnings("unchecked")
    public Integer call() throws Exception {
        List<Check> checks = new ArrayList<>();
        if (!Files.isRegularFile(mojo)) {
            throw new IllegalArgumentException("no such file: " + mojo);
        }
        byte[] bytes = Files.readAllBytes(mojo);
        double mb = bytes.length / 1048576.0;
        checks.add(new Check("size", mb <= maxSizeMb, String.format("%.2f MB (at most %.0f MB)", mb, maxSizeMb)));
        MojoInfo info;
        try {
            info = MojoInfo.read(bytes, mojo.toString());
        } catch (java.io.IOException | RuntimeException e) {
            checks.add(new Check("structure", false, "not a readable MOJO: " + e.getMessage()));
            return report(checks);
        }
        checks.add(new Check("structure", true, "model.ini: " + info.algorithm() + ", MOJO " + info.mojoVersion()
                + ", written by H2O " + info.h2oVersion()));
        try {
            H2oCompatibility.check(info.h2oVersion(), H2oCompatibility.RUNTIME_H2O_VERSION, mojo.getFileName()
                    .toString(), 0);
            checks.add(new Check("versions", true, "H2O " + info.h2oVersion() + " is no newer than this converge's"
                    + " h2o-genmodel " + H2oCompatibility.RUNTIME_H2O_VERSION));
        } catch (RuntimeException e) {
            checks.add(new Check("versions", false, e.getMessage()));
        }
        Runtime rt = Runtime.getRuntime();
        System.gc();
        long before = rt.totalMemory() - rt.freeMemory();
        long t0 = System.nanoTime();
        Mojo loaded;
        try {
            loaded = Mojo.fromBytes(bytes, mojo.toString());
        } catch (java.io.IOException | RuntimeException e) {
            checks.add(new Check("load", false, "h2o-genmodel could not load it: " + e.getMessage()));
            return report(checks);
        }
        double loadMillis = (System.nanoTime() - t0) / 1e6;
        System.gc();
        long heap = Math.max(0, rt.totalMemory() - rt.freeMemory() - before);
        checks.add(new Check("load", true, String.format("%.1f ms, about %.1f MB of heap held", loadMillis,
                heap / 1048576.0)));
        if (reference == null) {
            checks.add(new Check("reference predictions", true, "not checked (give --reference FILE.json)"));
        } else {
            Map<String, Object> ref = Json.readMap(Files.readString(reference));
            ReferencePredictions expected = ReferencePredictions.fromStored(
                    (List<Map<String, Object>>) ref.get("reference_rows"),
                    (List<Map<String, Object>>) ref.get("reference_predictions"));
            if (expected.isEmpty()) {
                checks.add(new Check("reference predictions", false, reference + " holds no reference rows"));
            } else {
                Optional<String> mismatch = Parity.check(loaded, expected);
                checks.add(new Check("reference predictions", mismatch.isEmpty(), mismatch.map(m -> "does not"
                        + " reproduce " + m).orElse(expected.rows().size() + " rows reproduced to "
                        + Parity.TOLERANCE)));
                ScoringLatency cost = ScoringLatency.measure(loaded, expected.rows(), new ScoringLatency.Plan(
                        20_000, 300_000_000L, 5_000, 1_000_000_000L));
                checks.add(new Check("scoring cost", true, String.format("p50 %.1f us, p90 %.1f us, p99 %.1f us per"
                        + " row (h2o-genmodel, one thread, %d samples)", cost.p50Micros(), cost.p90Micros(),
                        cost.p99Micros(), cost.samples())));
            }
        }
        return report(checks);
    }

    private static int report(List<Check> checks) {
        boolean all = true;
        for (Check c : checks) {
            System.out.printf("%-4s %-22s %s%n", c.passed() ? "ok" : "FAIL", c.name(), c.detail());
            all &= c.passed();
        }
        System.out.println(all ? "PASS: the server would load this model" : "FAIL: the server would refuse it");
        return all ? 0 : 1;
    }
}
