package dev.converge.registry;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import javax.sql.DataSource;

/**
 * The API keys in the database: created (the secret shown once, a salted hash kept), listed (never the secret),
 * revoked, and read by servers into memory. Every change is published with NOTIFY on {@link #CHANNEL}, so servers
 * reload at once. A key reads {@code cvk_<id>_<secret>}: the id is public (it names the key in logs, metrics and
 * lists), the secret is 43 characters of base64url (256 random bits).
 */
public final class ApiKeys {
    public static final String CHANNEL = "converge_keys";
    /** Every scope a key may hold (docs/security.md says what each allows). */
    public static final Set<String> SCOPES = Set.of("predict", "features:read", "feedback", "read", "admin");
    private static final String PREFIX = "cvk_";
    private static final SecureRandom RANDOM = new SecureRandom();

    private final DataSource db;

    public ApiKeys(DataSource db) {
        this.db = db;
    }

    /** A stored key as servers hold it: what it may do, and what checks its secret. */
    public record Key(String id, String name, List<String> scopes, List<String> models, byte[] salt, byte[] hash,
                      Instant createdAt, String createdBy, Instant expiresAt, Instant revokedAt,
                      Integer ratePerSecond) {
        public Key {
            scopes = List.copyOf(scopes);
            models = models == null ? null : List.copyOf(models);
        }

        /** Whether {@code secret} is this key's (in constant time). */
        public boolean matches(String secret) {
            return MessageDigest.isEqual(hash, ApiKeys.hash(salt, secret));
        }

        public boolean live(Instant now) {
            return revokedAt == null && (expiresAt == null || now.isBefore(expiresAt));
        }
    }

    /** A key just created: the whole key, to be shown once, and what was stored. */
    public record Created(String key, Key stored) {
    }

    /** The id and secret of a presented key, or empty when it does not have a key's form. */
    public static Optional<String[]> parse(String presented) {
        if (presented == null || !presented.startsWith(PREFIX) || presented.length() != PREFIX.length() + 12 + 1 + 43
                || presented.charAt(PREFIX.length() + 12) != '_') {
            return Optional.empty();
        }
        for (int i = 0; i < presented.length(); i++) { // by hand: a regex per request costs microseconds
            char c = presented.charAt(i);
            boolean ok = i < PREFIX.length() ? c == PREFIX.charAt(i)
                    : i < PREFIX.length() + 12 ? c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
                    : i == PREFIX.length() + 12 ? c == '_'
                    : c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-';
            if (!ok) {
                return Optional.empty();
            }
        }
        return Optional.of(new String[] {presented.substring(PREFIX.length(), PREFIX.length() + 12),
                presented.substring(PREFIX.length() + 13)});
    }

    /** One digest per thread: looking SHA-256 up in the providers costs more than hashing a key. */
    private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    });

    static byte[] hash(byte[] salt, String secret) {
        MessageDigest d = SHA256.get();
        d.reset();
        d.update(salt);
        return d.digest(secret.getBytes(StandardCharsets.US_ASCII));
    }

    /**
     * Creates a key with {@code scopes} (each one of {@link #SCOPES}), limited to {@code models} when not null,
     * expiring at {@code expiresAt} when not null.
     */
    public Created create(String name, List<String> scopes, List<String> models, Instant expiresAt, String actor)
            throws SQLException {
        return create(name, scopes, models, expiresAt, null, actor);
    }

    /** As {@link #create(String, List, List, Instant, String)}, at most {@code ratePerSecond} requests a second. */
    public Created create(String name, List<String> scopes, List<String> models, Instant expiresAt,
                          Integer ratePerSecond, String actor) throws SQLException {
        if (ratePerSecond != null && ratePerSecond < 1) {
            throw new IllegalArgumentException("--rate must be at least 1 request a second, was " + ratePerSecond);
        }
        if (name == null || name.isBlank() || name.length() > 200) {
            throw new IllegalArgumentException("a key's name must be 1..200 characters");
        }
        if (scopes.isEmpty()) {
            throw new IllegalArgumentException("a key needs at least one scope, of " + new java.util.TreeSet<>(SCOPES));
        }
        for (String s : scopes) {
            if (!SCOPES.contains(s)) {
                throw new IllegalArgumentException("unknown scope '" + s + "'; scopes are "
                        + new java.util.TreeSet<>(SCOPES));
            }
        }
        if (models != null && models.isEmpty()) {
            throw new IllegalArgumentException("--models, when given, names at least one model");
        }
        String id = randomId();
        byte[] secretBytes = new byte[32];
        RANDOM.nextBytes(secretBytes);
        String secret = Base64.getUrlEncoder().withoutPadding().encodeToString(secretBytes);
        byte[] salt = new byte[16];
        RANDOM.nextBytes(salt);
        Key k = new Key(id, name, scopes, models, salt, hash(salt, secret), Instant.now(), actor, expiresAt, null,
                ratePerSecond);
        try (Connection c = db.getConnection()) {
            c.setAutoCommit(false);
            try (PreparedStatement p = c.prepareStatement("INSERT INTO api_keys (id, name, scopes, models, salt,"
                    + " secret_hash, created_at, created_by, expires_at, rate_per_second)"
                    + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
                p.setString(1, id);
                p.setString(2, name);
                p.setArray(3, c.createArrayOf("text", scopes.toArray()));
                p.setArray(4, models == null ? null : c.createArrayOf("text", models.toArray()));
                p.setBytes(5, salt);
                p.setBytes(6, k.hash());
                p.setTimestamp(7, Timestamp.from(k.createdAt()));
                p.setString(8, actor);
                p.setTimestamp(9, expiresAt == null ? null : Timestamp.from(expiresAt));
                if (ratePerSecond == null) {
                    p.setNull(10, java.sql.Types.INTEGER);
                } else {
                    p.setInt(10, ratePerSecond);
                }
                p.executeUpdate();
            }
            notify(c, "created " + id);
            c.commit();
        }
        return new Created(PREFIX + id + "_" + secret, k);
    }

    /** Revokes key {@code id}; false when there is no such live key. */
    public boolean revoke(String id, String actor) throws SQLException {
        try (Connection c = db.getConnection()) {
            c.setAutoCommit(false);
            int n;
            try (PreparedStatement p = c.prepareStatement("UPDATE api_keys SET revoked_at = now(), revoked_by = ?"
                    + " WHERE id = ? AND revoked_at IS NULL")) {
                p.setString(1, actor);
                p.setString(2, id);
                n = p.executeUpdate();
            }
            notify(c, "revoked " + id);
            c.commit();
            return n == 1;
        }
    }

    /**
     * Rotates key {@code id}: a new key with its name, scopes, models, rate and expiry, and the old one made to expire
     * {@code grace} from now (sooner if it already expired sooner), so that clients can move to the new key while the
     * old still works; every server reloads at once. Empty when there is no live key {@code id}.
     */
    public Optional<Created> rotate(String id, java.time.Duration grace, String actor) throws SQLException {
        Instant now = Instant.now();
        Optional<Key> old = all().stream().filter(k -> k.id().equals(id) && k.live(now)).findFirst();
        if (old.isEmpty()) {
            return Optional.empty();
        }
        Key k = old.get();
        Created fresh = create(k.name(), k.scopes(), k.models(), k.expiresAt(), k.ratePerSecond(), actor);
        Instant until = now.plus(grace);
        try (Connection c = db.getConnection()) {
            c.setAutoCommit(false);
            try (PreparedStatement p = c.prepareStatement("UPDATE api_keys SET expires_at = ? WHERE id = ?"
                    + " AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?)")) {
                p.setTimestamp(1, java.sql.Timestamp.from(until));
                p.setString(2, id);
                p.setTimestamp(3, java.sql.Timestamp.from(until));
                p.executeUpdate();
            }
            notify(c, "rotated " + id + " to " + fresh.stored().id());
            c.commit();
        }
        return Optional.of(fresh);
    }

    /** Every key, live or not, oldest first. */
    public List<Key> all() throws SQLException {
        List<Key> out = new ArrayList<>();
        try (Connection c = db.getConnection();
             PreparedStatement p = c.prepareStatement("SELECT id, name, scopes, models, salt, secret_hash, created_at,"
                     + " created_by, expires_at, revoked_at, rate_per_second FROM api_keys ORDER BY created_at, id");
             ResultSet r = p.executeQuery()) {
            while (r.next()) {
                out.add(new Key(r.getString(1), r.getString(2), strings(r.getArray(3)), r.getArray(4) == null ? null
                        : strings(r.getArray(4)), r.getBytes(5), r.getBytes(6), r.getTimestamp(7).toInstant(),
                        r.getString(8), r.getTimestamp(9) == null ? null : r.getTimestamp(9).toInstant(),
                        r.getTimestamp(10) == null ? null : r.getTimestamp(10).toInstant(),
                        (Integer) r.getObject(11)));
            }
        }
        return out;
    }

    private static List<String> strings(Array a) throws SQLException {
        return List.of((String[]) a.getArray());
    }

    private static void notify(Connection c, String what) throws SQLException {
        try (PreparedStatement n = c.prepareStatement("SELECT pg_notify(?, ?)")) {
            n.setString(1, CHANNEL);
            n.setString(2, what);
            n.execute();
        }
    }

    private static String randomId() {
        String alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
        StringBuilder b = new StringBuilder(12);
        for (int i = 0; i < 12; i++) {
            b.append(alphabet.charAt(RANDOM.nextInt(alphabet.length())));
        }
        return b.toString();
    }
}
