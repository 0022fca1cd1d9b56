package dev.converge.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ArtifactStoreTest {
    @Test
    void writesAtomicallyAndATruncatedArtifactIsCaughtByItsChecksum(@TempDir Path dir) throws Exception {
        ArtifactStore store = new ArtifactStore(dir.toUri().toString());
        byte[] bytes = "pretend this is a MOJO zip".repeat(1000).getBytes(StandardCharsets.UTF_8);

        ArtifactStore.Stored s = store.write("model/1.zip", out -> out.write(bytes));

        assertThat(s.size()).isEqualTo(bytes.length);
        assertThat(s.sha256()).isEqualTo(ArtifactStore.sha256(s.path()));
        assertThat(Files.list(s.path().getParent())).containsExactly(s.path()); // no temp file left behind
        ArtifactStore.verify(s.path(), s.sha256(), s.size());

        try (FileChannel ch = FileChannel.open(s.path(), StandardOpenOption.WRITE)) {
            ch.truncate(bytes.length / 2);
        }

        assertThatThrownBy(() -> ArtifactStore.verify(s.path(), s.sha256(), s.size()))
                .isInstanceOf(ArtifactStore.CorruptArtifact.class)
                .hasMessageContaining("does not match its registration")
                .hasMessageContaining("size " + bytes.length / 2 + " (registered " + bytes.length + ")");
    }

    @Test
    void aFailedWriteLeavesNothingBehind(@TempDir Path dir) throws Exception {
        ArtifactStore store = new ArtifactStore(dir.toString());

        assertThatThrownBy(() -> store.write("m/2.zip", out -> {
            out.write(1);
            throw new java.io.IOException("disk full");
        })).hasMessage("disk full");

        assertThat(Files.list(dir.resolve("m"))).isEmpty();
        assertThatThrownBy(() -> store.write("../escape.zip", out -> { })).hasMessageContaining("escapes the store");
    }
}
