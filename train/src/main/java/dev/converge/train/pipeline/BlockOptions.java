package dev.converge.train.pipeline;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A block's options as written in the pipeline file, read with their types checked. Every error names the block
 * and the key; {@link #done()} refuses keys no one read, so a typo fails when the file is loaded, not after a sweep.
 */
public final class BlockOptions {
    private final String block;
    private final Map<String, Object> values;
    private final Set<String> read = new LinkedHashSet<>();

    public BlockOptions(String block, Map<String, Object> values) {
        this.block = block;
        this.values = new LinkedHashMap<>(values);
    }

    /** The block, as error messages name it: {@code 'id' (type)}. */
    public String block() {
        return block;
    }

    public IllegalArgumentException error(String key, String message) {
        return new IllegalArgumentException("block " + block + ": option '" + key + "' " + message);
    }

    public boolean has(String key) {
        read.add(key);
        return values.get(key) != null;
    }

    public String string(String key) {
        read.add(key);
        Object v = values.get(key);
        if (v == null) {
            throw error(key, "is required");
        }
        if (v instanceof Map<?, ?> || v instanceof Collection<?>) {
            throw error(key, "must be a single value, was " + v);
        }
        return v.toString();
    }

    public String string(String key, String dflt) {
        return has(key) ? string(key) : dflt;
    }

    public double number(String key, double dflt) {
        read.add(key);
        Object v = values.get(key);
        if (v == null) {
            return dflt;
        }
        if (v instanceof Number n) {
            return n.doubleValue();
        }
        throw error(key, "must be a number, was '" + v + "'");
    }

    /** A number within [min, max]. */
    public double number(String key, double dflt, double min, double max) {
        double v = number(key, dflt);
        if (!(v >= min && v <= max)) {
            throw error(key, "must be between " + min + " and " + max + ", was " + v);
        }
        return v;
    }

    /** A number above {@code min} (exclusive) and below {@code max} (exclusive; infinite for no upper end). */
    public double numberBetweenExclusive(String key, double dflt, double min, double max) {
        double v = number(key, dflt);
        if (!(v > min && v < max)) {
            throw error(key, "must be between " + min + " and " + (Double.isInfinite(max) ? "infinity" : max)
                    + ", both excluded, was " + v);
        }
        return v;
    }

    public int integer(String key, int dflt, int min) {
        double v = number(key, dflt);
        if (v != Math.rint(v) || v < min || v > Integer.MAX_VALUE) {
            throw error(key, "must be an integer >= " + min + ", was " + v);
        }
        return (int) v;
    }

    public List<String> strings(String key) {
        read.add(key);
        Object v = values.get(key);
        if (v == null) {
            return List.of();
        }
        if (v instanceof Collection<?> c) {
            return c.stream().map(String::valueOf).toList();
        }
        throw error(key, "must be a list, was " + v);
    }

    /** A nested mapping, read with the same checks; empty when absent. */
    @SuppressWarnings("unchecked")
    public BlockOptions nested(String key) {
        read.add(key);
        Object v = values.get(key);
        if (v == null) {
            return null;
        }
        if (!(v instanceof Map<?, ?> m)) {
            throw error(key, "must be a mapping, was " + v);
        }
        return new BlockOptions(block + " " + key, (Map<String, Object>) m);
    }

    /** The raw value, for options with a structure of their own (a fan-out's matrix). */
    public Object raw(String key) {
        read.add(key);
        return values.get(key);
    }

    /** Refuses any key that was given but never read. */
    public void done() {
        List<String> unknown = new ArrayList<>();
        for (String k : values.keySet()) {
            if (!read.contains(k)) {
                unknown.add(k);
            }
        }
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException("block " + block + ": unknown option" + (unknown.size() > 1 ? "s " : " ")
                    + unknown + "; known are " + read);
        }
    }
}
