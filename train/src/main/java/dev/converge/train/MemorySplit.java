package dev.converge.train;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.OptionalLong;

/**
 * Splits a container's memory between the JVM heap and native headroom. H2O keeps its frames on the heap;
 * XGBoost trains in native memory outside it; the JVM itself needs metaspace, code cache, thread stacks, GC
 * structures and direct buffers. The split is checked: the headroom must cover XGBoost's estimate plus that
 * overhead, or the limit is reported as too small, with the numbers.
 */
public record MemorySplit(long limitBytes, double heapFraction, long heapBytes, long headroomBytes,
                          long xgboostBytes, long jvmOverheadBytes) {
    public static final double DEFAULT_HEAP_FRACTION = 0.70;
    static final long MB = 1L << 20;

    /** Computes and checks the split; throws with the numbers when the limit is too small. */
    public static MemorySplit compute(long limitBytes, double heapFraction, long xgboostBytes) {
        if (heapFraction <= 0.1 || heapFraction >= 0.95) {
            throw new IllegalArgumentException("heap fraction must be within (0.1, 0.95), was " + heapFraction);
        }
        if (limitBytes < 256 * MB) {
            throw new IllegalArgumentException("container limit " + format(limitBytes) + " is too small for a"
                    + " training JVM; at least 256m");
        }
        long heap = (long) (limitBytes * heapFraction) / MB * MB;
        long headroom = limitBytes - heap;
        long overhead = jvmOverhead(heap);
        if (headroom < xgboostBytes + overhead) {
            long needed = heap + xgboostBytes + overhead;
            double maxFraction = Math.floor((double) (limitBytes - xgboostBytes - jvmOverhead(heap)) / limitBytes * 100) / 100;
            throw new IllegalArgumentException(String.format(Locale.ROOT, "container limit %s is too small: a heap of"
                            + " %s (%.0f%%) leaves %s of native headroom, but XGBoost's %s plus the JVM's own %s need %s."
                            + " Raise the limit to at least %s, or lower the heap fraction to %.2f or less.",
                    format(limitBytes), format(heap), heapFraction * 100, format(headroom), format(xgboostBytes),
                    format(overhead), format(xgboostBytes + overhead), format(needed), Math.max(0.0, maxFraction)));
        }
        return new MemorySplit(limitBytes, heapFraction, heap, headroom, xgboostBytes, overhead);
    }

    /**
     * The JVM's memory outside the heap: metaspace (128m; H2O loads about 20,000 classes), code cache (128m
     * committed in practice), thread stacks (128m: H2O's fork-join pools run ~100 threads, stacks commit lazily),
     * direct buffers (64m) and the collector's own structures (2% of the heap for G1's remembered sets and marking
     * bitmaps). See docs/decisions/0005-training-memory-governor.md.
     */
    static long jvmOverhead(long heap) {
        return 128 * MB + 128 * MB + 128 * MB + 64 * MB + heap / 50;
    }

    public String jvmArgs() {
        return "-Xmx" + heapBytes / MB + "m -Xms" + heapBytes / MB + "m";
    }

    public String describe() {
        return String.format(Locale.ROOT, "container limit %s: heap %s (%.0f%%), native headroom %s"
                        + " (XGBoost %s + JVM overhead %s + spare %s)%n%s", format(limitBytes), format(heapBytes),
                heapFraction * 100, format(headroomBytes), format(xgboostBytes), format(jvmOverheadBytes),
                format(headroomBytes - xgboostBytes - jvmOverheadBytes), jvmArgs());
    }

    /** Parses sizes such as {@code 16g}, {@code 512m}, {@code 1073741824}. */
    public static long parseSize(String s) {
        String t = s.trim().toLowerCase(Locale.ROOT);
        long mult = 1;
        if (t.endsWith("b")) {
            t = t.substring(0, t.length() - 1);
        }
        switch (t.isEmpty() ? ' ' : t.charAt(t.length() - 1)) {
            case 'k' -> mult = 1L << 10;
            case 'm' -> mult = 1L << 20;
            case 'g' -> mult = 1L << 30;
            case 't' -> mult = 1L << 40;
            default -> { }
        }
        if (mult > 1) {
            t = t.substring(0, t.length() - 1);
        }
        try {
            double v = Double.parseDouble(t);
            if (v <= 0 || Double.isNaN(v) || Double.isInfinite(v)) {
                throw new NumberFormatException();
            }
            return (long) (v * mult);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + s + "' is not a size; expected e.g. 16g, 512m or a byte count");
        }
    }

    /** The cgroup v2 or v1 memory limit of this process, if one is set. */
    public static OptionalLong cgroupLimit(Path root) {
        for (Path p : new Path[] {root.resolve("memory.max"), root.resolve("memory/memory.limit_in_bytes")}) {
            try {
                if (Files.isRegularFile(p)) {
                    String v = Files.readString(p).trim();
                    if (v.equals("max")) {
                        return OptionalLong.empty();
                    }
                    long bytes = Long.parseLong(v);
                    // cgroup v1 reports "no limit" as a huge page-aligned number
                    return bytes >= (1L << 60) ? OptionalLong.empty() : OptionalLong.of(bytes);
                }
            } catch (IOException | NumberFormatException e) {
                return OptionalLong.empty();
            }
        }
        return OptionalLong.empty();
    }

    static String format(long bytes) {
        return bytes % (1L << 30) == 0 ? (bytes >> 30) + "g" : (bytes / MB) + "m";
    }
}
