package dev.converge.registry;

import java.util.Optional;
import java.util.OptionalInt;

/**
 * The payload the registry publishes on {@link ModelRegistry#CHANNEL} when a model's champion changes:
 * {@code name:version}, or {@code name:none} when the model has no champion left. Written and read only here.
 */
public record ChampionNotice(String model, OptionalInt version) {
    public ChampionNotice {
        if (model == null || model.isEmpty()) {
            throw new IllegalArgumentException("a champion notice names a model");
        }
    }

    public String encode() {
        return model + ":" + (version.isPresent() ? Integer.toString(version.getAsInt()) : "none");
    }

    /** The notice in a payload, or empty when the payload is not one (another writer on the channel). */
    public static Optional<ChampionNotice> decode(String payload) {
        int colon = payload == null ? -1 : payload.lastIndexOf(':');
        if (colon <= 0) {
            return Optional.empty();
        }
        String v = payload.substring(colon + 1);
        if (v.equals("none")) {
            return Optional.of(new ChampionNotice(payload.substring(0, colon), OptionalInt.empty()));
        }
        try {
            return Optional.of(new ChampionNotice(payload.substring(0, colon), OptionalInt.of(Integer.parseInt(v))));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }
}
