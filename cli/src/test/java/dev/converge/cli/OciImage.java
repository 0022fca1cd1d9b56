package dev.converge.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPInputStream;

/**
 * An OCI image tar as Jib writes it (index, manifest, config, gzipped layers), read without a container engine: its
 * name, config and files, and its entry point run from its layers unpacked into a directory, under chroot as the
 * image's user in a mount namespace of its own with /proc and /dev mounted, as a container runtime would.
 */
final class OciImage {
    static final ObjectMapper JSON = new ObjectMapper();
    static final Path ROOT = Path.of(System.getProperty("converge.root", ".."));

    final String refName;
    final JsonNode config;
    final List<Path> layers = new ArrayList<>();
    final List<String> files = new ArrayList<>();

    private OciImage(String refName, JsonNode config) {
        this.refName = refName;
        this.config = config;
    }

    /**
     * The image {@code tar} that the build makes on Linux with a JDK that has its jmods (unless -DskipImage):
     * skipped, saying why, where no image is built; a failure where one should have been.
     */
    static OciImage built(Path tar, String how, Path work) throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(System.getProperty("os.name").toLowerCase().contains("linux"),
                "images are built on Linux only (the image profiles of serve/pom.xml and cli/pom.xml)");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isRegularFile(Path.of(System.getProperty("java.home"),
                "jmods", "java.base.jmod")), "this JDK has no jmods, so the build made no image (jlink needs them)");
        org.junit.jupiter.api.Assumptions.assumeTrue(System.getProperty("skipImage") == null,
                "-DskipImage: no image was built");
        assertThat(tar).as(how + " (or pass -DskipImage to the whole build to leave images and their tests out)")
                .isRegularFile();
        return open(tar, work);
    }

    static OciImage open(Path tar, Path work) throws Exception {
        Path oci = Files.createDirectories(work.resolve("oci"));
        run(List.of("tar", "-xf", tar.toString(), "-C", oci.toString()), Duration.ofSeconds(120));
        JsonNode index = JSON.readTree(oci.resolve("index.json").toFile());
        JsonNode entry = index.get("manifests").get(0);
        JsonNode manifest = JSON.readTree(blob(oci, entry.get("digest").asText()).toFile());
        OciImage image = new OciImage(entry.get("annotations").get("org.opencontainers.image.ref.name").asText(),
                JSON.readTree(blob(oci, manifest.get("config").get("digest").asText()).toFile()));
        for (JsonNode layer : manifest.get("layers")) {
            image.layers.add(blob(oci, layer.get("digest").asText()));
        }
        for (Path layer : image.layers) {
            image.files.addAll(List.of(run(List.of("tar", "-tzf", layer.toString()), Duration.ofSeconds(120))
                    .split("\n")));
        }
        return image;
    }

    static Map<String, String> versions() throws IOException {
        Map<String, String> v = new HashMap<>();
        for (String line : Files.readAllLines(ROOT.resolve("versions.env"))) {
            if (!line.isBlank() && !line.startsWith("#")) {
                v.put(line.substring(0, line.indexOf('=')), line.substring(line.indexOf('=') + 1));
            }
        }
        return v;
    }

    static boolean canRun() {
        return "root".equals(System.getProperty("user.name")) && Files.isExecutable(Path.of("/usr/bin/unshare"));
    }

    long compressedBytes() throws IOException {
        long n = 0;
        for (Path layer : layers) {
            n += Files.size(layer);
        }
        return n;
    }

    long unpackedBytes() throws IOException {
        long n = 0;
        for (Path layer : layers) {
            try (InputStream in = new GZIPInputStream(Files.newInputStream(layer))) {
                n += in.transferTo(java.io.OutputStream.nullOutputStream());
            }
        }
        return n;
    }

    /** The jars of the image's class path. */
    List<String> libs() {
        return files.stream().filter(f -> f.startsWith("app/libs/")).map(f -> f.substring(9)).toList();
    }

    List<String> env() {
        List<String> env = new ArrayList<>();
        config.get("config").get("Env").forEach(e -> env.add(e.asText()));
        return env;
    }

    /** The layers unpacked into {@code dir}, with what a runtime provides (mount points, name resolution). */
    Path rootfs(Path dir) throws Exception {
        Files.createDirectories(dir);
        for (Path layer : layers) {
            run(List.of("tar", "-xzf", layer.toString(), "-C", dir.toString()), Duration.ofSeconds(120));
        }
        Files.createDirectories(dir.resolve("proc"));
        Files.createDirectories(dir.resolve("dev"));
        for (String f : List.of("etc/hosts", "etc/resolv.conf", "etc/hostname")) {
            if (Files.isRegularFile(Path.of("/").resolve(f))) {
                Files.copy(Path.of("/").resolve(f), dir.resolve(f), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        return dir;
    }

    /** The image's entry point with {@code args}, in {@code rootfs}, with the image's environment plus {@code env}. */
    ProcessBuilder command(Path rootfs, List<String> args, Map<String, String> env) {
        List<String> cmd = new ArrayList<>(List.of("unshare", "--mount", "--fork", "--kill-child", "sh", "-c",
                "mount -t proc proc \"$0/proc\" && mount --rbind /dev \"$0/dev\" && exec chroot --userspec="
                        + config.get("config").get("User").asText() + " \"$0\" \"$@\"", rootfs.toString()));
        config.get("config").get("Entrypoint").forEach(a -> cmd.add(a.asText()));
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().clear();
        for (String kv : env()) {
            pb.environment().put(kv.substring(0, kv.indexOf('=')), kv.substring(kv.indexOf('=') + 1));
        }
        pb.environment().put("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
        pb.environment().putAll(env);
        return pb;
    }

    /**
     * Stops the image's process and everything between it and us. The image's JVM first: chroot's change of user
     * clears unshare's parent-death signal, so it would outlive unshare and keep its connections open.
     */
    static void stop(Process p) throws InterruptedException {
        List<ProcessHandle> tree = new ArrayList<>(p.descendants().toList());
        java.util.Collections.reverse(tree); // the deepest (the JVM) first
        for (ProcessHandle h : tree) {
            h.destroy();
        }
        for (ProcessHandle h : tree) {
            try {
                h.onExit().get(15, TimeUnit.SECONDS);
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                h.destroyForcibly();
            }
        }
        p.destroy();
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        assertThat(tree).as("every process of the image stopped").noneMatch(ProcessHandle::isAlive);
    }

    static String git(String... args) {
        try {
            List<String> cmd = new ArrayList<>(List.of("git", "-C", ROOT.toString()));
            cmd.addAll(List.of(args));
            return run(cmd, Duration.ofSeconds(10)).trim();
        } catch (Exception e) {
            return null;
        }
    }

    static String run(List<String> cmd, Duration timeout) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(timeout.toSeconds(), TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException(String.join(" ", cmd) + " failed: " + out);
        }
        return out;
    }

    private static Path blob(Path oci, String digest) {
        return oci.resolve("blobs").resolve(digest.replace(':', '/'));
    }
}
