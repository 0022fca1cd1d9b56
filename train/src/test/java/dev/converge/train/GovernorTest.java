package dev.converge.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class GovernorTest {
    private static final long MB = 1L << 20;

    @Test
    void concurrencyIsFloorOfUsableOverTheLargestEstimate() {
        Governor g = new Governor(1000 * MB);

        Governor.Plan plan = g.plan(List.of(100 * MB, 150 * MB, 150 * MB, 50 * MB, 150 * MB, 150 * MB), 200 * MB, 8);

        assertThat(plan.usableBytes()).isEqualTo(600 * MB); // 0.8 x 1000 - 200
        assertThat(plan.concurrency()).isEqualTo(4); // floor(600 / 150)
        assertThat(plan.projectedPeakBytes()).isEqualTo(800 * MB); // 200 + 4 x 150
        assertThat(plan.projectedPeakBytes()).isLessThanOrEqualTo((long) (0.8 * plan.capacityBytes()));
    }

    @Test
    void neverMoreThanAskedForNorMoreThanThereAreTasks() {
        Governor g = new Governor(10_000 * MB);

        assertThat(g.plan(List.of(10 * MB, 10 * MB, 10 * MB), 0, 2).concurrency()).isEqualTo(2);
        assertThat(g.plan(List.of(10 * MB), 0, 16).concurrency()).isEqualTo(1);
    }

    @Test
    void aPlanThatCannotFitIsRejectedBeforeAnyWorkWithTheNumbers() {
        Governor g = new Governor(1000 * MB);

        assertThatThrownBy(() -> g.plan(List.of(100 * MB, 700 * MB), 200 * MB, 2))
                .isInstanceOf(Governor.PlanRejected.class)
                .hasMessage("training plan rejected before any work started: projected peak 900 MB (baseline 200 MB"
                        + " + largest task estimate 700 MB) exceeds 80% of capacity 1,000 MB (800 MB). Give the"
                        + " training JVM more memory (converge memory-split), or shrink the data or the largest task.");
    }

    @Test
    void theMessageIsTheSameInEveryLocale() {
        java.util.Locale before = java.util.Locale.getDefault();
        try {
            java.util.Locale.setDefault(java.util.Locale.GERMANY); // groups thousands with '.'
            assertThatThrownBy(() -> new Governor(1000 * MB).plan(List.of(700 * MB), 200 * MB, 1))
                    .hasMessageContaining("capacity 1,000 MB");
        } finally {
            java.util.Locale.setDefault(before);
        }
    }

    @Test
    void memoryModelGrowsWithTheDataAndTheAlgorithm() {
        assertThat(MemoryModel.estimate("gbm", 1_000_000, 20)).isGreaterThan(MemoryModel.estimate("gbm", 10_000, 20));
        assertThat(MemoryModel.estimate("automl", 10_000, 20)).isGreaterThan(MemoryModel.estimate("glm", 10_000, 20));
        assertThatThrownBy(() -> MemoryModel.estimate("deeplearning", 1, 1)).hasMessageContaining("deeplearning");
    }
}
