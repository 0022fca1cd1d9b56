-- Training: one row per task of a sweep (the fan-out of a config matrix), whatever its outcome, and per
-- registered model the reference rows, their predictions and the baseline histograms that serving and drift
-- detection need.

CREATE TABLE training_runs (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    sweep_id    uuid        NOT NULL,
    task_index  integer     NOT NULL,
    algorithm   text        NOT NULL,
    segment     text        NOT NULL DEFAULT 'all',
    config      jsonb       NOT NULL,
    status      text        NOT NULL CHECK (status IN ('succeeded', 'failed', 'timed_out')),
    metrics     jsonb       NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(metrics) = 'object'),
    runtime_ms  bigint      NOT NULL CHECK (runtime_ms >= 0),
    error       text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (sweep_id, task_index)
);
CREATE INDEX training_runs_sweep ON training_runs (sweep_id);

CREATE TABLE model_reference (
    name                  text    NOT NULL,
    version               integer NOT NULL,
    sweep_id              uuid    NOT NULL,
    reference_rows        jsonb   NOT NULL CHECK (jsonb_typeof(reference_rows) = 'array'),
    reference_predictions jsonb   NOT NULL CHECK (jsonb_typeof(reference_predictions) = 'array'),
    baselines             jsonb   NOT NULL CHECK (jsonb_typeof(baselines) = 'object'),
    scoring_latency       jsonb   NOT NULL CHECK (jsonb_typeof(scoring_latency) = 'object'),
    PRIMARY KEY (name, version),
    FOREIGN KEY (name, version) REFERENCES model_versions (name, version),
    CHECK (jsonb_array_length(reference_rows) = jsonb_array_length(reference_predictions))
);

CREATE TRIGGER model_reference_immutable BEFORE UPDATE OR DELETE ON model_reference
    FOR EACH ROW EXECUTE FUNCTION converge_reject_mutation();
CREATE TRIGGER model_reference_no_truncate BEFORE TRUNCATE ON model_reference
    FOR EACH STATEMENT EXECUTE FUNCTION converge_reject_mutation();
