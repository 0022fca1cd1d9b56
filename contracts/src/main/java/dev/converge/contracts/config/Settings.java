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

    private final Map<String, Value> values;

    private Settings(Map<String, Value> values) {
        this.values = Collections.unmodifiableMap(values);
    }

    public static Settings empty() {
        return new Settings(new TreeMap<>());
    }

    /**
     * Layers the file (when present), the environment and the flags.
     *
     * @param file  a properties file, or null; a named file that is missing is an error
     * @param env   the environment, usually {@code System.getenv()}
     * @param flags keys to values given on the command line
     */
    public static Settings load(Path file, Map<String, String> env, Map<String, String> flags) {
        Map<String, Value> merged = new TreeMap<>();
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
                merged.put(key, new Value(p.getProperty(key).strip(), "file " + file));
            }
        }
        for (Map.Entry<String, String> e : env.entrySet()) {
            if (e.getKey().startsWith("CONVERGE_")) {
                merged.put(keyOf(e.getKey()), new Value(e.getValue(), "env " + e.getKey()));
            }
        }
        for (Map.Entry<String, String> e : flags.entrySet()) {
            if (e.getValue() != null) {
                merged.put(e.getKey(), new Value(e.getValue(), "flag " + e.getKey()));
            }
        }
        return new Settings(merged);
    }

    /** {@code CONVERGE_DATABASE_URL} to {@code database.url}. */
    static String keyOf(String envName) {
        return envName.substring("CONVERGE_".length()).toLowerCase(Locale.ROOT).replace('_', '.');
    }

    /** {@code database.url} to {@code CONVERGE_DATABASE_URL}. */
    public static String envNameOf(String key) {
        return "CONVERGE_" + key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
    }

    public Optional<Value> get(String key) {
        Value v = values.get(key);
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

    public Map<String, Value> asMap() {
        return values;
    }
}
