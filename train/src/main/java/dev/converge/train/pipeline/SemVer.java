package dev.converge.train.pipeline;

/**
 * A block type's semantic version. A pipeline pins a block with {@code version: "1"} or {@code "1.2"}: any version
 * of the same major that is at least the pin (a minor adds options, a major changes what a pipeline means).
 */
public record SemVer(int major, int minor, int patch) implements Comparable<SemVer> {
    public SemVer {
        if (major < 0 || minor < 0 || patch < 0) {
            throw new IllegalArgumentException("version parts must be >= 0, was " + major + "." + minor + "." + patch);
        }
    }

    /** "1", "1.2" or "1.2.3". */
    public static SemVer parse(String text) {
        String[] p = text.trim().split("\\.");
        if (p.length > 3 || text.isBlank()) {
            throw new IllegalArgumentException("a version is MAJOR[.MINOR[.PATCH]], was '" + text + "'");
        }
        try {
            return new SemVer(Integer.parseInt(p[0]), p.length > 1 ? Integer.parseInt(p[1]) : 0,
                    p.length > 2 ? Integer.parseInt(p[2]) : 0);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("a version is MAJOR[.MINOR[.PATCH]] of integers, was '" + text + "'", e);
        }
    }

    /** Whether this version satisfies a pin: the same major, and not older. */
    public boolean satisfies(SemVer pin) {
        return major == pin.major && compareTo(pin) >= 0;
    }

    @Override
    public int compareTo(SemVer o) {
        int c = Integer.compare(major, o.major);
        if (c == 0) {
            c = Integer.compare(minor, o.minor);
        }
        return c != 0 ? c : Integer.compare(patch, o.patch);
    }

    @Override
    public String toString() {
        return major + "." + minor + "." + patch;
    }
}
