package dev.converge.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.converge.train.pipeline.FanOut;
import dev.converge.train.pipeline.PipelineSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PipelineSpecTest {
    @Test
    void theShippedPipelinesAreWiredCorrectly() {
        Path root = Path.of(System.getProperty("converge.root", "..")).resolve("pipelines");

        for (String f : List.of("lending_club.yaml", "birdstrikes.yaml")) {
            PipelineSpec spec = PipelineSpec.load(root.resolve(f));
            assertThat(spec.steps().get(spec.steps().size() - 1).type().name()).isEqualTo("export");
            assertThat(((FanOut) spec.block("fan_out")).tasks()).isNotEmpty();
        }
    }

    @Test
    void theBenchmarkPipelinesLoadUnderTheStrictOptions() throws Exception {
        Path root = Path.of(System.getProperty("converge.root", "..")).resolve("bench/training");
        List<Path> files;
        try (var s = Files.list(root)) {
            files = s.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
        }

        assertThat(files).isNotEmpty();
        for (Path f : files) {
            assertThat(PipelineSpec.load(f).steps()).as(f.toString()).isNotEmpty();
        }
    }

    @Test
    void aSweepEndsAtBestRunAndRegistersNothingWhileAPipelineEndingEarlierIsRefused(@TempDir Path dir)
            throws Exception {
        Path sweep = dir.resolve("sweep.yaml");
        Files.writeString(sweep, """
                name: sweep
                model: m
                blocks:
                  - {id: load, type: pit_loader, label: y}
                  - {id: table, type: to_table}
                  - {id: split, type: random_split}
                  - {id: sweep, type: fan_out, matrix: [{algorithm: glm}]}
                  - {id: best, type: best_run}
                """);
        Path early = dir.resolve("early.yaml");
        Files.writeString(early, """
                name: early
                model: m
                blocks:
                  - {id: load, type: pit_loader, label: y}
                  - {id: table, type: to_table}
                """);

        assertThat(PipelineSpec.load(sweep).registers()).isFalse();
        assertThat(PipelineSpec.load(Path.of(System.getProperty("converge.root", "..")).resolve(
                "pipelines/lending_club.yaml")).registers()).isTrue();
        assertThatThrownBy(() -> PipelineSpec.load(early)).hasMessageContaining("ends with block 'table'")
                .hasMessageContaining("with best_run (CHAMPION)");
    }

    @Test
    void aMisWiredPipelineFailsAtLoadNamingBothBlocks(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("bad.yaml");
        Files.writeString(f, """
                name: bad
                model: m
                blocks:
                  - {id: load, type: pit_loader, label: y}
                  - {id: split, type: random_split}
                  - {id: sweep, type: fan_out, matrix: [{algorithm: glm}]}
                  - {id: best, type: best_run}
                  - {id: export, type: export}
                """);

        assertThatThrownBy(() -> PipelineSpec.load(f))
                .hasMessageContaining("bad.yaml")
                .hasMessageContaining("block 'split' (random_split) takes TABLE but block 'load' (pit_loader) gives EVENTS");
    }

    @Test
    void aPipelineMustEndInAnExportAndUseKnownBlocks() {
        assertThatThrownBy(() -> PipelineSpec.fromMap(Map.of("name", "p", "model", "m", "blocks", List.of(
                Map.of("id", "load", "type", "pit_loader"), Map.of("id", "t", "type", "to_table"))), "p.yaml"))
                .hasMessageContaining("ends with block 't' (to_table), which gives TABLE");
        assertThatThrownBy(() -> PipelineSpec.fromMap(Map.of("name", "p", "model", "m", "blocks", List.of(
                Map.of("id", "x", "type", "magic"))), "p.yaml"))
                .hasMessageContaining("blocks[0] ('x') has type 'magic'");
    }

    @Test
    void gridsArePrunedForDeployabilityAndAutomlGetsItsDefaults() {
        assertThatThrownBy(() -> FanOut.matrix(List.of(Map.of("algorithm", "gbm",
                "grid", Map.of("max_depth", List.of(5, 12))))))
                .hasMessageContaining("max_depth 12 exceeds the deployability cap of 10");
        assertThatThrownBy(() -> new TaskConfig("xgboost", Map.of("ntrees", 5000), null))
                .hasMessageContaining("ntrees 5000 exceeds the deployability cap of 1000");
        assertThatThrownBy(() -> new TaskConfig("gbm", Map.of("depth", 3), null))
                .hasMessageContaining("unknown parameter 'depth'");

        List<TaskConfig> tasks = FanOut.matrix(List.of(
                Map.of("algorithm", "gbm", "grid", Map.of("max_depth", List.of(3, 5), "ntrees", List.of(10, 20))),
                Map.of("algorithm", "automl")));

        assertThat(tasks).hasSize(5);
        assertThat(FanOut.matrix(List.of(Map.of("algorithm", "glm", "grid",
                Map.of("alpha", List.of(0.0, 1.0)), "segments", Map.of("column", "grade", "values", List.of("A", "B",
                "C"))))))
                .as("algorithm x hyperparameters x segment").hasSize(6)
                .extracting(TaskConfig::segment).containsExactly("grade=A", "grade=A", "grade=B", "grade=B",
                        "grade=C", "grade=C");
        assertThat(tasks.get(4).params()).containsEntry("exclude_algos", List.of("DeepLearning", "StackedEnsemble"))
                .containsKeys("max_runtime_secs", "stopping_metric", "stopping_tolerance");
    }

    private static List<Map<String, Object>> blocks(Map<String, Object> best, Map<String, Object> export,
                                                    Map<String, Object> extra) {
        List<Map<String, Object>> blocks = new java.util.ArrayList<>();
        blocks.add(Map.of("id", "load", "type", "pit_loader", "label", "y"));
        blocks.add(Map.of("id", "table", "type", "to_table"));
        if (extra != null) {
            blocks.add(extra);
        }
        blocks.add(Map.of("id", "split", "type", "random_split"));
        blocks.add(Map.of("id", "sweep", "type", "fan_out", "matrix", List.of(Map.of("algorithm", "glm"))));
        blocks.add(best);
        blocks.add(export);
        return blocks;
    }

    private static PipelineSpec load(List<Map<String, Object>> blocks) {
        return PipelineSpec.fromMap(Map.of("name", "p", "model", "m", "blocks", blocks), "p.yaml");
    }

    @Test
    void badOptionsFailWhenThePipelineIsLoadedNamingTheBlockAndTheKey() {
        Map<String, Object> best = Map.of("id", "best", "type", "best_run");
        Map<String, Object> export = Map.of("id", "export", "type", "export");

        assertThatThrownBy(() -> load(blocks(Map.of("id", "best", "type", "best_run", "metric", "accuracy"), export,
                null))).hasMessageContaining("block 'best' (best_run): option 'metric'")
                .hasMessageContaining("accuracy").hasMessageContaining("auc");
        assertThatThrownBy(() -> load(blocks(best, Map.of("id", "export", "type", "export",
                "scoring_budget_p99_us", "fast"), null)))
                .hasMessageContaining("block 'export' (export): option 'scoring_budget_p99_us' must be a number");
        assertThatThrownBy(() -> load(blocks(best, Map.of("id", "export", "type", "export",
                "scoring_budget_p99_us", -5), null)))
                .hasMessageContaining("option 'scoring_budget_p99_us' must be between");
        assertThatThrownBy(() -> load(blocks(best, Map.of("id", "export", "type", "export",
                "auto_promote", Map.of("margn", 0.01)), null)))
                .hasMessageContaining("unknown option [margn]");
        assertThatThrownBy(() -> load(blocks(Map.of("id", "best", "type", "best_run", "metrc", "auc"), export, null)))
                .hasMessageContaining("block 'best' (best_run): unknown option [metrc]");
        assertThatThrownBy(() -> load(blocks(best, export, null).stream().map(b -> b.get("id").equals("sweep")
                ? Map.<String, Object>of("id", "sweep", "type", "fan_out", "matrix", List.of(Map.of("algorithm",
                "gbm", "grid", Map.of("max_depth", List.of(4, 20))))) : b).toList()))
                .hasMessageContaining("block 'sweep' (fan_out): option 'matrix'")
                .hasMessageContaining("max_depth 20 exceeds the deployability cap of 10");
        assertThat(load(blocks(best, export, null)).steps()).hasSize(6);
    }

    @Test
    void blockTypesComeFromServiceLoaderAndAPipelineCanPinTheirVersion() {
        Map<String, Object> best = Map.of("id", "best", "type", "best_run");
        Map<String, Object> export = Map.of("id", "export", "type", "export");

        PipelineSpec spec = load(blocks(best, export, Map.of("id", "mine", "type", "passthrough", "version", "1.1",
                "note", "a team's block")));

        assertThat(spec.block("passthrough")).isInstanceOf(ExtensionBlocks.Passthrough.class);
        assertThat(spec.steps().get(2).type().version().toString()).isEqualTo("1.2.0");
        assertThatThrownBy(() -> load(blocks(best, export, Map.of("id", "mine", "type", "passthrough",
                "version", "2", "note", "x"))))
                .hasMessageContaining("pins passthrough version 2.0.0, but the versions available are [1.2.0]");
        assertThatThrownBy(() -> load(blocks(best, export, Map.of("id", "mine", "type", "passthrough"))))
                .hasMessageContaining("block 'mine' (passthrough): option 'note' is required");
        assertThatThrownBy(() -> load(blocks(best, export, Map.of("id", "mine", "type", "passthrough",
                "version", "1.3", "note", "x")))).hasMessageContaining("versions available are [1.2.0]");
    }
}
