package dev.converge.contracts;

import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * The rule for entity ids, the same for ingestion, training and serving: 1 to {@value #MAX_BYTES} bytes of UTF-8,
 * no NUL (PostgreSQL text cannot hold it) and no unpaired surrogate (it has no UTF-8 encoding and would be stored
 * as '?', silently a different id).
 */
public final class EntityId {
    public static final int MAX_BYTES = 128;
    /** The rule in words, for error messages. */
    public static final String RULE = "1.." + MAX_BYTES + " bytes of UTF-8 without NUL or unpaired surrogates";

    private EntityId() {}

    /** What is wrong with {@code id}, or empty when it is a valid id. */
    public static Optional<String> problem(String id) {
        if (id == null || id.isEmpty()) {
            return Optional.of("it is empty");
        }
        for (int i = 0; i < id.length(); i++) {
            char c = id.charAt(i);
            if (c == '\0') {
                return Optional.of("it contains NUL at index " + i);
            }
        }
        int lone = unpairedSurrogate(id);
        if (lone >= 0) {
            return Optional.of("it contains an unpaired surrogate at index " + lone);
        }
        int bytes = id.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > MAX_BYTES) {
            return Optional.of("it is " + bytes + " bytes");
        }
        return Optional.empty();
    }

    /**
     * The index of the first unpaired surrogate in {@code s}, or -1. Such a string has no UTF-8 encoding: written,
     * it would become "?" without a word, so every text the store or the server takes is checked for one.
     */
    public static int unpairedSurrogate(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                return i;
            }
        }
        return -1;
    }

    /**
     * The key an entity of a feature set is stored under, {@code <set>/<id>}, or the id itself with no set: the one
     * rule ingestion, training and serving use, so a model of feature set "churn" finds "churn"'s entity 7.
     */
    public static String key(String featureSet, String id) {
        return featureSet == null || featureSet.isEmpty() ? id : featureSet + "/" + id;
    }

    public static boolean isValid(String id) {
        return problem(id).isEmpty();
    }
}
