-- Experiments between model versions (issue 13): what, besides the champion, takes a model's traffic.
-- Append-only like model_events: the newest row of a model is its deployment; every change (an operator's, or a
-- canary's step or rollback) is a new row saying who, when and why.
CREATE TABLE model_deployments (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name          text        NOT NULL,
    -- [{"version": 2, "mode": "split"|"shadow", "share": 0.2, "canary": {...} | null}, ...]
    challengers   jsonb       NOT NULL CHECK (jsonb_typeof(challengers) = 'array'),
    allow_pinning boolean     NOT NULL,
    actor         text        NOT NULL CHECK (actor <> ''),
    reason        text        NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX model_deployments_name ON model_deployments (name, id DESC);

CREATE TRIGGER model_deployments_append_only BEFORE UPDATE OR DELETE ON model_deployments
    FOR EACH ROW EXECUTE FUNCTION converge_reject_mutation();
CREATE TRIGGER model_deployments_no_truncate BEFORE TRUNCATE ON model_deployments
    FOR EACH STATEMENT EXECUTE FUNCTION converge_reject_mutation();
