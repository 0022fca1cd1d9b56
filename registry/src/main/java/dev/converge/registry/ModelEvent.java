package dev.converge.registry;

import java.time.Instant;
import java.util.Locale;

/** One entry of a model's append-only deployment history. */
public record ModelEvent(long id, String name, int version, Type type, String actor, String reason, Instant at) {

    public enum Type {
        REGISTERED, PROMOTED, DEMOTED, ROLLED_BACK;

        public String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }

        public static Type fromWireName(String s) {
            return valueOf(s.toUpperCase(Locale.ROOT));
        }
    }
}
