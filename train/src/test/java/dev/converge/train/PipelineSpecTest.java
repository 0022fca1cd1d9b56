package dev.converge.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
            assertThat(spec.blocks().get(spec.blocks().size() - 1).type()).isEqualTo("export");
            assertThat(Pipeline.matrix(spec.block("fan_out").options())).isNotEmpty();
        }
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
        assertThatThrownBy(() -> Pipeline.matrix(Map.of("matrix", List.of(Map.of("algorithm", "gbm",
                "grid", Map.of("max_depth", List.of(5, 12)))))))
                .hasMessageContaining("max_depth 12 exceeds the deployability cap of 10");
        assertThatThrownBy(() -> new TaskConfig("xgboost", Map.of("ntrees", 5000), null))
                .hasMessageContaining("ntrees 5000 exceeds the deployability cap of 1000");
        assertThatThrownBy(() -> new TaskConfig("gbm", Map.of("depth", 3), null))
                .hasMessageContaining("unknown parameter 'depth'");

        List<TaskConfig> tasks = Pipeline.matrix(Map.of("matrix", List.of(
                Map.of("algorithm", "gbm", "grid", Map.of("max_depth", List.of(3, 5), "ntrees", List.of(10, 20))),
                Map.of("algorithm", "automl"))));

        assertThat(tasks).hasSize(5);
        assertThat(Pipeline.matrix(Map.of("matrix", List.of(Map.of("algorithm", "glm", "grid",
                Map.of("alpha", List.of(0.0, 1.0)), "segments", Map.of("column", "grade", "values", List.of("A", "B",
                "C")))))))
                .as("algorithm x hyperparameters x segment").hasSize(6)
                .extracting(TaskConfig::segment).containsExactly("grade=A", "grade=A", "grade=B", "grade=B",
                        "grade=C", "grade=C");
        assertThat(tasks.get(4).params()).containsEntry("exclude_algos", List.of("DeepLearning", "StackedEnsemble"))
                .containsKeys("max_runtime_secs", "stopping_metric", "stopping_tolerance");
    }
}
