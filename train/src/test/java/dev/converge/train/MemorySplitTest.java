package dev.converge.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MemorySplitTest {
    @Test
    void sixteenGigabytesSplitSeventyThirty() {
        MemorySplit s = MemorySplit.compute(MemorySplit.parseSize("16g"), 0.70, MemorySplit.parseSize("4g"));

        assertThat(s.heapBytes()).isEqualTo(11468L << 20);
        assertThat(s.headroomBytes()).isEqualTo((16L << 30) - (11468L << 20));
        assertThat(s.jvmArgs()).isEqualTo("-Xmx11468m -Xms11468m");
        assertThat(s.headroomBytes()).isGreaterThanOrEqualTo(s.xgboostBytes() + s.jvmOverheadBytes());
    }

    @Test
    void aLimitTooSmallForXgboostSaysByHowMuchAndWhatToDo() {
        assertThatThrownBy(() -> MemorySplit.compute(MemorySplit.parseSize("8g"), 0.70, MemorySplit.parseSize("4g")))
                .hasMessageContaining("container limit 8g is too small")
                .hasMessageContaining("leaves 2458m of native headroom")
                .hasMessageContaining("XGBoost's 4g")
                .hasMessageContaining("Raise the limit to at least");
        assertThatThrownBy(() -> MemorySplit.parseSize("lots")).hasMessageContaining("'lots' is not a size");
    }

    @Test
    void readsCgroupV2AndV1Limits(@TempDir Path root) throws Exception {
        Files.writeString(root.resolve("memory.max"), "17179869184\n");
        assertThat(MemorySplit.cgroupLimit(root)).hasValue(16L << 30);

        Files.writeString(root.resolve("memory.max"), "max\n");
        assertThat(MemorySplit.cgroupLimit(root)).isEmpty();

        Files.delete(root.resolve("memory.max"));
        Files.createDirectories(root.resolve("memory"));
        Files.writeString(root.resolve("memory/memory.limit_in_bytes"), "9223372036854771712\n");
        assertThat(MemorySplit.cgroupLimit(root)).isEmpty();
        Files.writeString(root.resolve("memory/memory.limit_in_bytes"), "4294967296\n");
        assertThat(MemorySplit.cgroupLimit(root)).hasValue(4L << 30);
    }
}
