package dev.converge.model;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Model artifacts on a filesystem, local or mounted (any directory-like URI: {@code file:///...} or a path). A
 * write goes to a temp file in the target directory, is fsynced, then atomically renamed, so a reader sees the
 * whole artifact or none of it. The sha256 and size are computed while writing, and every read checks them.
 */
public final class ArtifactStore {
    /** What was written: where, its sha256 and size. */
    public record Stored(URI uri, Path path, String sha256, long size) {}

    /** An artifact whose bytes are not the bytes registered. */
    public static final class CorruptArtifact extends IOException {
        public CorruptArtifact(String message) {
            super(message);
        }
    }

    /** Writes the artifact's bytes; the callback must write them all. */
    public interface Writer {
        void writeTo(OutputStream out) throws IOException;
    }

    private final Path root;

    public ArtifactStore(String location) {
        this.root = location.startsWith("file:") ? Path.of(URI.create(location)) : Path.of(location);
    }

    public Path root() {
        return root;
    }

    public Stored write(String relativeName, Writer writer) throws IOException {
        Path target = root.resolve(relativeName).normalize();
        if (!target.startsWith(root.normalize())) {
            throw new IllegalArgumentException("artifact name '" + relativeName + "' escapes the store " + root);
        }
        Files.createDirectories(target.getParent());
        Path tmp = Files.createTempFile(target.getParent(), "." + target.getFileName(), ".partial");
        try {
            MessageDigest sha = sha256();
            try (OutputStream file = Files.newOutputStream(tmp, StandardOpenOption.WRITE);
                 DigestOutputStream out = new DigestOutputStream(file, sha)) {
                writer.writeTo(out);
            }
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ch.force(true);
            }
            long size = Files.size(tmp);
            try { // temp files are owner-only; artifacts are read by serving processes too
                Files.setPosixFilePermissions(tmp, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
            } catch (UnsupportedOperationException e) {
                // not a POSIX filesystem: its default permissions apply
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                throw new IOException("the artifact store " + root + " cannot rename atomically; refusing to publish"
                        + " an artifact readers could see half-written", e);
            }
            fsyncDirectory(target.getParent());
            return new Stored(target.toUri(), target, HexFormat.of().formatHex(sha.digest()), size);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Checks an artifact against its registered sha256 and size before anyone loads it. */
    public static void verify(Path path, String expectedSha256, long expectedSize) throws IOException {
        if (!Files.isRegularFile(path)) {
            throw new CorruptArtifact("artifact " + path + " does not exist");
        }
        long size = Files.size(path);
        String actual = sha256(path);
        if (size != expectedSize || !actual.equals(expectedSha256)) {
            throw new CorruptArtifact("artifact " + path + " does not match its registration: size " + size
                    + " (registered " + expectedSize + "), sha256 " + actual + " (registered " + expectedSha256 + ")");
        }
    }

    /**
     * Reads an artifact once and checks those bytes against its registered sha256 and size, so what is loaded is
     * exactly what was checked (a file replaced between a check and a load by path would slip through).
     */
    public static byte[] readVerified(Path path, String expectedSha256, long expectedSize) throws IOException {
        if (!Files.isRegularFile(path)) {
            throw new CorruptArtifact("artifact " + path + " does not exist");
        }
        byte[] bytes = Files.readAllBytes(path);
        String actual = HexFormat.of().formatHex(sha256().digest(bytes));
        if (bytes.length != expectedSize || !actual.equals(expectedSha256)) {
            throw new CorruptArtifact("artifact " + path + " does not match its registration: size " + bytes.length
                    + " (registered " + expectedSize + "), sha256 " + actual + " (registered " + expectedSha256 + ")");
        }
        return bytes;
    }

    public static String sha256(Path path) throws IOException {
        MessageDigest sha = sha256();
        try (InputStream in = Files.newInputStream(path)) {
            byte[] buf = new byte[1 << 16];
            int n;
            while ((n = in.read(buf)) > 0) {
                sha.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by every JDK", e);
        }
    }

    private static void fsyncDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            // Some filesystems cannot open directories; the rename is still atomic there.
        }
    }
}
