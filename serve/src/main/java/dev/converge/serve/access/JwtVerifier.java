package dev.converge.serve.access;

import dev.converge.serve.config.JwtSettings;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.authentication.TokenCredentials;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Bearer JWTs from an identity provider, verified with {@code vertx-auth-jwt} against the provider's public keys
 * (a JWKS file or URL, re-read every {@code refreshSeconds}, the last good set kept when a read fails): the
 * signature by the key the token names, the issuer and the audience configured, expiry and not-before (30 s of
 * leeway). A token with {@code alg: none}, or signed with a key the set does not hold (an HMAC made with a public key
 * included), is refused. Verification is local, with no call to the provider per request.
 */
final class JwtVerifier {
    private static final Logger LOG = LoggerFactory.getLogger(JwtVerifier.class);

    private final Vertx vertx;
    private final JwtSettings settings;
    private volatile JWTAuth auth;
    private volatile int keys;

    private JwtVerifier(Vertx vertx, JwtSettings settings) {
        this.vertx = vertx;
        this.settings = settings;
    }

    /** Reads the keys now (a failure refuses the start) and every refresh period after. */
    static JwtVerifier start(Vertx vertx, JwtSettings settings) {
        JwtVerifier v = new JwtVerifier(vertx, settings);
        try {
            v.install(read(settings.jwks()));
        } catch (Exception e) {
            throw new IllegalStateException("serve.auth.jwks: could not read the keys from '" + settings.jwks() + "': "
                    + e.getMessage(), e);
        }
        vertx.setPeriodic(settings.refreshSeconds() * 1000L, id -> vertx.executeBlocking(() -> read(settings.jwks()),
                false).onSuccess(v::install).onFailure(e -> LOG.warn("serve.auth.jwks: could not re-read the keys from"
                + " '{}' ({}); the last {} key(s) stay in use", settings.jwks(), e.getMessage(), v.keys)));
        return v;
    }

    int keys() {
        return keys;
    }

    private void install(List<JsonObject> jwks) {
        if (jwks.isEmpty()) {
            throw new IllegalArgumentException("the key set holds no key");
        }
        auth = JWTAuth.create(vertx, new JWTAuthOptions().setJwks(jwks).setJWTOptions(new JWTOptions()
                .setIssuer(settings.issuer()).setAudience(List.of(settings.audience())).setLeeway(30)));
        keys = jwks.size();
    }

    /** The JWKS document's keys: {@code {"keys": [...]}} from a file or an http(s) URL. */
    private static List<JsonObject> read(String where) throws Exception {
        String text;
        if (where.startsWith("http://") || where.startsWith("https://")) {
            java.net.http.HttpResponse<String> r = java.net.http.HttpClient.newHttpClient().send(
                    java.net.http.HttpRequest.newBuilder(URI.create(where)).timeout(java.time.Duration.ofSeconds(10))
                            .build(), java.net.http.HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                throw new IllegalStateException("HTTP " + r.statusCode());
            }
            text = r.body();
        } else {
            text = Files.readString(Path.of(where));
        }
        JsonArray a = new JsonObject(text).getJsonArray("keys");
        if (a == null) {
            throw new IllegalArgumentException("not a JWKS document (no \"keys\" array)");
        }
        List<JsonObject> out = new ArrayList<>();
        a.forEach(k -> out.add((JsonObject) k));
        return out;
    }

    /** The token's principal, or a failure saying why it is refused. */
    Future<Principal> verify(String token) {
        return auth.authenticate(new TokenCredentials(token)).map(user -> {
            JsonObject claims = user.principal();
            String subject = claims.getString("sub");
            if (subject == null || subject.isBlank()) {
                throw new IllegalArgumentException("the token names no subject (sub)");
            }
            Set<String> models = claims.getValue(settings.modelsClaim()) == null ? null
                    : values(claims.getValue(settings.modelsClaim()));
            return new Principal("jwt:" + subject, subject + " (" + claims.getString("iss") + ")",
                    values(claims.getValue(settings.scopesClaim())), models);
        });
    }

    /** A claim as a set of words: a space-separated string (OAuth's scope) or an array of strings. */
    private static Set<String> values(Object claim) {
        Set<String> out = new LinkedHashSet<>();
        if (claim instanceof String s) {
            for (String w : s.trim().split("\\s+")) {
                if (!w.isEmpty()) {
                    out.add(w);
                }
            }
        } else if (claim instanceof JsonArray a) {
            a.forEach(x -> out.add(String.valueOf(x)));
        }
        return out;
    }
}
