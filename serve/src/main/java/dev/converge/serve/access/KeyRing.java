package dev.converge.serve.access;

import dev.converge.registry.ApiKeys;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The API keys as the server holds them: in memory, replaced whole on every reload (a NOTIFY on the keys' channel,
 * and a periodic re-read as a backstop), so that checking a key costs a map lookup and one SHA-256, never a database
 * round trip.
 */
public final class KeyRing {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(KeyRing.class);
    private volatile Map<String, ApiKeys.Key> byId = Map.of();
    /** Each key's principal, made once per reload rather than per request. */
    private volatile Map<String, Principal> principals = Map.of();
    private boolean tableMissing;

    /**
     * Reads the keys now (at start: blocking), and again on every NOTIFY on {@link ApiKeys#CHANNEL} (a revocation
     * reaches every replica at once) and every 30 s. A database migrated before keys existed has no table: the ring
     * is empty and says so ({@link #tableMissing}).
     */
    public static KeyRing load(dev.converge.registry.PgEndpoint db, io.vertx.core.Vertx vertx,
                               io.vertx.pgclient.pubsub.PgSubscriber subscriber) {
        KeyRing ring = new KeyRing();
        ApiKeys keys = new ApiKeys(db.dataSource(10));
        try {
            ring.reload(keys.all());
        } catch (java.sql.SQLException e) {
            if (!"42P01".equals(e.getSQLState())) {
                throw new IllegalStateException("could not read the API keys: " + e.getMessage(), e);
            }
            ring.tableMissing = true;
            return ring;
        }
        Runnable reload = () -> vertx.executeBlocking(keys::all, false).onSuccess(ring::reload)
                .onFailure(e -> LOG.warn("could not reload the API keys: {}", e.getMessage()));
        subscriber.channel(ApiKeys.CHANNEL).handler(payload -> reload.run()).subscribeHandler(v -> reload.run());
        vertx.setPeriodic(30_000, id -> reload.run());
        return ring;
    }

    /** Whether the database has no api_keys table (not migrated since keys came). */
    public boolean tableMissing() {
        return tableMissing;
    }

    /** What checking a presented key came to: a principal, or why not (said to the caller). */
    public record Checked(Principal principal, String refusal) {
    }

    public void reload(List<ApiKeys.Key> keys) {
        Map<String, ApiKeys.Key> m = new HashMap<>();
        Map<String, Principal> p = new HashMap<>();
        Map<String, Principal> before = principals;
        keys.forEach(k -> {
            m.put(k.id(), k);
            // A key's bucket outlives a reload (a NOTIFY every second must not refill it), unless its rate changed.
            RateLimit rate = k.ratePerSecond() == null ? null : before.containsKey(k.id())
                    && before.get(k.id()).rate() != null && before.get(k.id()).rate().perSecond() == k.ratePerSecond()
                    ? before.get(k.id()).rate() : new RateLimit(k.ratePerSecond());
            p.put(k.id(), new Principal(k.id(), k.name(), java.util.Set.copyOf(k.scopes()), k.models() == null
                    ? null : java.util.Set.copyOf(k.models()), rate));
        });
        principals = Map.copyOf(p); // a request may see the old keys' principals for a moment, never a mix of one key
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
        Principal p = principals.get(k.id());
        return new Checked(p != null ? p : new Principal(k.id(), k.name(), java.util.Set.copyOf(k.scopes()),
                k.models() == null ? null : java.util.Set.copyOf(k.models())), null);
    }
}
