package dev.converge.store;

import java.time.Instant;
import java.util.Objects;

/** A training label's identity: the entity and the time at which its features must be known. */
public record LabelEvent(String entityId, Instant time) {
    public LabelEvent {
        Objects.requireNonNull(entityId, "entityId");
        Objects.requireNonNull(time, "time");
        if (entityId.isEmpty() || entityId.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("a label event's entity id must be non-empty and free of NUL, was '"
                    + entityId.replace("\0", "\\0") + "'");
        }
    }
}
