package dev.converge.serve;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A PostgreSQL cluster of the machine's own binaries, on a loopback port the test chooses, started and stopped by
 * the test: a primary, or a hot standby streaming from one (pg_basebackup -R). Under root the server runs as the
 * {@code postgres} user (PostgreSQL refuses root), so its directory is made theirs.
 */
final class LocalPostgres implements AutoCloseable {
    final Path dir;
    final int port;
    private final Path bin;

    private LocalPostgres(Path bin, Path dir, int port) {
        this.bin = bin;
        this.dir = dir;
        this.port = port;
    }

    /** The newest installed server binaries with what a standby needs, if any. */
    static Optional<Path> binaries() {
        try (var versions = Files.list(Path.of("/usr/lib/postgresql"))) {
            return versions.map(v -> v.resolve("bin"))
                    .filter(b -> Files.isExecutable(b.resolve("initdb")) && Files.isExecutable(b.resolve("pg_basebackup")))
                    .max(Comparator.comparing(b -> Integer.parseInt(b.getParent().getFileName().toString()
                            .replaceAll("\\D", "0"))));
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    static boolean root() {
        return "root".equals(System.getProperty("user.name"));
    }

    /** A fresh primary (trust auth on loopback, replication allowed) in a new directory under /tmp. */
    static LocalPostgres primary(Path bin, int port) throws Exception {
        Path dir = ownedDirectory("converge-pg-primary");
        LocalPostgres pg = new LocalPostgres(bin, dir, port);
        pg.run("initdb", "-D", pg.data().toString(), "-A", "trust", "-U", "postgres", "--no-sync");
        Files.writeString(pg.data().resolve("postgresql.auto.conf"), "listen_addresses = '127.0.0.1'\nport = " + port
                + "\nunix_socket_directories = '" + dir + "'\nwal_level = replica\nmax_wal_senders = 4\n"
                + "fsync = off\n", java.nio.file.StandardOpenOption.APPEND);
        pg.start();
        return pg;
    }

    /** A hot standby of {@code primary}: a base backup streaming the primary's WAL, read-only. */
    LocalPostgres standby(int standbyPort) throws Exception {
        Path sdir = ownedDirectory("converge-pg-standby");
        LocalPostgres s = new LocalPostgres(bin, sdir, standbyPort);
        s.run("pg_basebackup", "-h", "127.0.0.1", "-p", Integer.toString(port), "-U", "postgres", "-D",
                s.data().toString(), "-R", "-X", "stream", "--no-sync");
        Files.writeString(s.data().resolve("postgresql.auto.conf"), "port = " + standbyPort
                + "\nunix_socket_directories = '" + sdir + "'\nhot_standby = on\n",
                java.nio.file.StandardOpenOption.APPEND);
        s.start();
        return s;
    }

    String url() {
        return "jdbc:postgresql://127.0.0.1:" + port + "/postgres";
    }

    void start() throws Exception {
        run("pg_ctl", "-D", data().toString(), "-l", dir.resolve("log").toString(), "-w", "-t", "60", "start");
    }

    /** As a crash: no checkpoint, connections cut. */
    void kill() throws Exception {
        run("pg_ctl", "-D", data().toString(), "-m", "immediate", "-w", "stop");
    }

    @Override
    public void close() throws Exception {
        try {
            if (Files.exists(data().resolve("postmaster.pid"))) {
                run("pg_ctl", "-D", data().toString(), "-m", "immediate", "-w", "stop");
            }
        } finally {
            try (var walk = Files.walk(dir)) {
                walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private Path data() {
        return dir.resolve("data");
    }

    private static Path ownedDirectory(String prefix) throws Exception {
        Path dir = Files.createTempDirectory(Path.of("/tmp"), prefix);
        if (root()) {
            exec(List.of("chown", "postgres:postgres", dir.toString()));
        }
        return dir;
    }

    private void run(String tool, String... args) throws Exception {
        List<String> cmd = new ArrayList<>();
        if (root()) {
            cmd.addAll(List.of("runuser", "-u", "postgres", "--"));
        }
        cmd.add(bin.resolve(tool).toString());
        cmd.addAll(Arrays.asList(args));
        exec(cmd);
    }

    private static void exec(List<String> cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", cmd) + " failed: " + out);
        }
    }
}
