package dev.converge.serve.config;

import dev.converge.contracts.config.Settings;

/**
 * Bearer JWTs from an identity provider ({@code serve.auth.jwks}: a JWKS file or an http(s) URL, re-read every
 * {@code serve.auth.jwks_refresh_secs}), checked for signature, issuer, audience, expiry and not-before; the
 * principal's scopes come from the claim {@code serve.auth.jwt_scopes_claim} (a space-separated string or an array,
 * default {@code scope}) and the models its predict scope is limited to from {@code serve.auth.jwt_models_claim}
 * (default {@code converge_models}; absent: every model). Null: no tokens, API keys only.
 */
public record JwtSettings(String jwks, String issuer, String audience, String scopesClaim, String modelsClaim,
                          int refreshSeconds) {
    public JwtSettings {
        Checks.require(jwks != null && !jwks.isBlank(), "serve.auth.jwks must name a JWKS file or URL");
        Checks.require(issuer != null && !issuer.isBlank(), "serve.auth.jwt_issuer must be set with serve.auth.jwks:"
                + " a token is accepted only from the issuer named");
        Checks.require(audience != null && !audience.isBlank(), "serve.auth.jwt_audience must be set with"
                + " serve.auth.jwks: a token is accepted only when it was issued for this server");
        Checks.require(refreshSeconds >= 1, "serve.auth.jwks_refresh_secs must be >= 1, was " + refreshSeconds);
        if (!jwks.startsWith("http://") && !jwks.startsWith("https://")) {
            Checks.require(java.nio.file.Files.isReadable(java.nio.file.Path.of(jwks)), "serve.auth.jwks: cannot read '"
                    + jwks + "' (a JWKS file, or an http(s) URL)");
        }
        scopesClaim = scopesClaim == null ? "scope" : scopesClaim;
        modelsClaim = modelsClaim == null ? "converge_models" : modelsClaim;
    }

    public JwtSettings(String jwks, String issuer, String audience) {
        this(jwks, issuer, audience, null, null, 300);
    }

    public static JwtSettings from(Settings s) {
        return s.string("serve.auth.jwks").map(j -> new JwtSettings(j, s.string("serve.auth.jwt_issuer").orElse(null),
                s.string("serve.auth.jwt_audience").orElse(null), s.string("serve.auth.jwt_scopes_claim").orElse(null),
                s.string("serve.auth.jwt_models_claim").orElse(null), s.integer("serve.auth.jwks_refresh_secs", 300)))
                .orElse(null);
    }
}
