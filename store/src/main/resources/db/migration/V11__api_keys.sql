-- API keys (issue 30): who may predict, read features, label, read the registry and operate, checked on every route.
-- A key is shown once, at creation; only a salted SHA-256 of its secret is kept (the secret is 256 random bits, so a
-- slow hash buys nothing). Servers hold the live keys in memory and reload them on NOTIFY converge_keys, so a
-- revocation reaches every replica within a second, with no database round trip per request.
CREATE TABLE api_keys (
    id          text PRIMARY KEY CHECK (id ~ '^[a-z0-9]{12}$'),
    name        text        NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    scopes      text[]      NOT NULL CHECK (cardinality(scopes) >= 1),
    models      text[],
    salt        bytea       NOT NULL,
    secret_hash bytea       NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_by  text        NOT NULL,
    expires_at  timestamptz,
    -- requests a second the key may make (a token bucket per server, a second's burst); null: no limit
    rate_per_second integer CHECK (rate_per_second > 0),
    revoked_at  timestamptz,
    revoked_by  text
);
