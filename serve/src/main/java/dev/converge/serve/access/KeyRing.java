package dev.converge.serve.access;

import dev.converge.registry.ApiKeys;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The API keys as the server holds them: in memory, replaced whole on every reload (a NOTIFY on the keys' channel,
 * and a periodic re-read as a backstop), so that checking a key costs a map lookup and one SHA-256, never a database
 * round trip.
 */
public final class KeyRing {
    private volatile Map<String, ApiKeys.Key> byId = Map.of();

    /** What checking a presented key came to: a principal, or why not (said to the caller). */
    public record Checked(Principal principal, String refusal) {
    }

    public void reload(List<ApiKeys.Key> keys) {
        Map<String, ApiKeys.Key> m = new HashMap<>();
        keys.forEach(k -> m.put(k.id(), k));
        byId = Map.copyOf(m);
    }

    /** Whether any key is live now. */
    public boolean anyLive() {
        Instant now = Instant.now();
        return byId.values().stream().anyMatch(k -> k.live(now));
    }

    public int size() {
        return byId.size();
    }

    public Checked check(String presented) {
        Optional<String[]> parsed = ApiKeys.parse(presented);
        if (parsed.isEmpty()) {
            return new Checked(null, "the bearer token is not a converge key (cvk_ followed by a 12-character id, _"
                    + " and a 43-character secret)");
        }
        ApiKeys.Key k = byId.get(parsed.get()[0]);
        if (k == null || !k.matches(parsed.get()[1])) {
            return new Checked(null, "unknown key");
        }
        Instant now = Instant.now();
        if (k.revokedAt() != null) {
            return new Checked(null, "key " + k.id() + " ('" + k.name() + "') was revoked at " + k.revokedAt());
        }
        if (k.expiresAt() != null && !now.isBefore(k.expiresAt())) {
            return new Checked(null, "key " + k.id() + " ('" + k.name() + "') expired at " + k.expiresAt());
        }
        return new Checked(new Principal(k.id(), k.name(), new HashSet<>(k.scopes()), k.models() == null ? null
                : new HashSet<>(k.models())), null);
    }
}
