package dev.converge.contracts.config;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeMap;

/**
 * Raw configuration, read once at start-up from three layers: a properties file, then the environment
 * ({@code CONVERGE_DATABASE_URL} for {@code database.url}), then flags. A later layer wins. Each value remembers
 * where it came from, so a bad value can be reported with its origin. Typed, validated records are built from this.
 */
public final class Settings {
    /** A value and the layer it came from, e.g. "env CONVERGE_DATABASE_URL". */
    public record Value(String value, String origin) {}

    private final Map<String, Value> file;
    private final Map<String, String> env;
    private final Map<String, Value> flags;

    private Settings(Map<String, Value> file, Map<String, String> env, Map<String, Value> flags) {
        this.file = Collections.unmodifiableMap(file);
        this.env = Map.copyOf(env);
        this.flags = Collections.unmodifiableMap(flags);
    }

    public static Settings empty() {
        return new Settings(new TreeMap<>(), Map.of(), new TreeMap<>());
    }

    /**
     * Layers the file (when present), the environment and the flags.
     *
     * @param file  a properties file, or null; a named file that is missing is an error
     * @param env   the environment, usually {@code System.getenv()}; key {@code a.b_c} is read from
     *              {@code CONVERGE_A_B_C}
     * @param flags keys to values given on the command line (null values are ignored)
     */
    public static Settings load(Path file, Map<String, String> env, Map<String, String> flags) {
        Map<String, Value> fromFile = new TreeMap<>();
        if (file != null) {
            if (!Files.isRegularFile(file)) {
                throw new IllegalArgumentException("config file " + file.toAbsolutePath() + " does not exist");
            }
            Properties p = new Properties();
            try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                p.load(r);
            } catch (IOException e) {
                throw new IllegalArgumentException("cannot read config file " + file.toAbsolutePath() + ": " + e, e);
            }
            for (String key : p.stringPropertyNames()) {
                fromFile.put(key, new Value(p.getProperty(key).strip(), "file " + file));
            }
        }
        Map<String, String> converge = new TreeMap<>();
        env.forEach((k, v) -> {
            if (k.startsWith("CONVERGE_") && v != null) {
                converge.put(k, v);
            }
        });
        Map<String, Value> fromFlags = new TreeMap<>();
        flags.forEach((k, v) -> {
            if (v != null) {
                fromFlags.put(k, new Value(v, "flag " + k));
            }
        });
        return new Settings(fromFile, converge, fromFlags);
    }

    /** These settings with more flags on top. */
    public Settings withFlags(Map<String, String> more) {
        Map<String, Value> merged = new TreeMap<>(flags);
        more.forEach((k, v) -> {
            if (v != null) {
                merged.put(k, new Value(v, "flag " + k));
            }
        });
        return new Settings(new TreeMap<>(file), env, merged);
    }

    /** {@code database.url} to {@code CONVERGE_DATABASE_URL}. */
    public static String envNameOf(String key) {
        return "CONVERGE_" + key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
    }

    public Optional<Value> get(String key) {
        Value v = flags.get(key);
        if (v == null && env.containsKey(envNameOf(key))) {
            v = new Value(env.get(envNameOf(key)), "env " + envNameOf(key));
        }
        if (v == null) {
            v = file.get(key);
        }
        return v == null || v.value().isEmpty() ? Optional.empty() : Optional.of(v);
    }

    public Optional<String> string(String key) {
        return get(key).map(Value::value);
    }

    public int integer(String key, int defaultValue) {
        Optional<Value> v = get(key);
        if (v.isEmpty()) {
            return defaultValue;
        }
        try {
            return Integer.parseInt(v.get().value());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " must be an integer, was '" + v.get().value() + "' (from "
                    + v.get().origin() + ")");
        }
    }
}
