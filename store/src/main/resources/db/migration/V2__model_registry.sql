-- The model registry. A version, once written, never changes; promotions and rollbacks are events, and the
-- champion is derived from them.

CREATE FUNCTION converge_reject_mutation() RETURNS trigger
    LANGUAGE plpgsql AS
$$
BEGIN
    RAISE EXCEPTION '% is append-only: % is not allowed', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'restrict_violation',
              HINT = 'register a new model version, or append an event to model_events';
END
$$;

CREATE TABLE model_versions (
    name                  text        NOT NULL CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$'),
    version               integer     NOT NULL CHECK (version > 0),
    algorithm             text        NOT NULL,
    artifact_uri          text        NOT NULL,
    artifact_sha256       text        NOT NULL CHECK (artifact_sha256 ~ '^[0-9a-f]{64}$'),
    artifact_size         bigint      NOT NULL CHECK (artifact_size > 0),
    h2o_version           text        NOT NULL,
    mojo_version          text        NOT NULL,
    git_commit            text        NOT NULL,
    feature_schema        jsonb       NOT NULL,
    schema_fingerprint    text        NOT NULL CHECK (schema_fingerprint ~ '^[0-9a-f]{64}$'),
    training_window_start timestamptz,
    training_window_end   timestamptz,
    metrics               jsonb       NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(metrics) = 'object'),
    created_at            timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (name, version),
    CHECK (training_window_start IS NULL OR training_window_end IS NULL
           OR training_window_start <= training_window_end)
);

CREATE TRIGGER model_versions_immutable BEFORE UPDATE OR DELETE ON model_versions
    FOR EACH ROW EXECUTE FUNCTION converge_reject_mutation();
CREATE TRIGGER model_versions_no_truncate BEFORE TRUNCATE ON model_versions
    FOR EACH STATEMENT EXECUTE FUNCTION converge_reject_mutation();

CREATE TABLE model_events (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name       text        NOT NULL,
    version    integer     NOT NULL,
    event      text        NOT NULL CHECK (event IN ('registered', 'promoted', 'demoted', 'rolled_back')),
    actor      text        NOT NULL CHECK (actor <> ''),
    reason     text        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    FOREIGN KEY (name, version) REFERENCES model_versions (name, version)
);
CREATE INDEX model_events_name ON model_events (name, id);

CREATE TRIGGER model_events_append_only BEFORE UPDATE OR DELETE ON model_events
    FOR EACH ROW EXECUTE FUNCTION converge_reject_mutation();
CREATE TRIGGER model_events_no_truncate BEFORE TRUNCATE ON model_events
    FOR EACH STATEMENT EXECUTE FUNCTION converge_reject_mutation();
