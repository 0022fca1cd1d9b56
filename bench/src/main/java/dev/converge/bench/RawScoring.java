package dev.converge.bench;

import dev.converge.model.Mojo;
import dev.converge.registry.codec.Json;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * What one core can score: h2o-genmodel alone on one thread, one row over and over (10 s of warm-up, then
 * {@code seconds}), as rows per second of wall time and microseconds of the thread's own CPU per row. The bound the
 * server's goodput is measured against; run it pinned where the server runs, alone and beside a busy server, to see
 * what sharing the core costs the scorer. Usage: {@code RawScoring MODEL.zip BODY.json [seconds]}, BODY holding
 * {@code {"features": {...}}} as a request does.
 */
public final class RawScoring {
    private RawScoring() {}

    @SuppressWarnings("unchecked")
    public static void main(String[] args) throws Exception {
        Mojo mojo = Mojo.load(Path.of(args[0]));
        Map<String, Object> features = (Map<String, Object>) Json.readMap(Files.readString(Path.of(args[1])))
                .get("features");
        double seconds = args.length > 2 ? Double.parseDouble(args[2]) : 15;
        Map<String, Object> row = new HashMap<>();
        features.forEach((k, v) -> row.put(k, v instanceof Number n ? (Object) n.doubleValue() : v));
        for (long end = System.nanoTime() + 10_000_000_000L; System.nanoTime() < end; ) {
            mojo.score(row);
        }
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long n = 0;
        long t0 = System.nanoTime();
        long c0 = threads.getCurrentThreadCpuTime();
        long end = t0 + (long) (seconds * 1e9);
        do {
            mojo.score(row);
            n++;
        } while ((n & 15) != 0 || System.nanoTime() < end);
        double wall = (System.nanoTime() - t0) / 1e9;
        double cpu = (threads.getCurrentThreadCpuTime() - c0) / 1e9;
        System.out.printf("raw h2o-genmodel: %.0f rows/s, %.1f us of CPU per row (%d rows in %.1f s)%n", n / wall,
                cpu * 1e6 / n, n, wall);
    }
}
