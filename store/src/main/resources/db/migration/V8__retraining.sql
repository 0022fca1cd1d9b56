-- Drift-triggered retraining (issue 12): every attempt, and a breaker per model that three consecutive failures
-- open and only a person closes (`converge retrain reset MODEL`).
CREATE TABLE retrain_runs (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    model        text        NOT NULL,
    trigger      text        NOT NULL,
    started_at   timestamptz NOT NULL DEFAULT now(),
    finished_at  timestamptz,
    exit_code    integer,
    outcome      text        CHECK (outcome IN ('succeeded', 'failed', 'refused_breaker_open', 'timed_out')),
    output_tail  text
);
CREATE INDEX retrain_runs_model ON retrain_runs (model, id);

CREATE TABLE retrain_breakers (
    model                text        PRIMARY KEY,
    consecutive_failures integer     NOT NULL DEFAULT 0 CHECK (consecutive_failures >= 0),
    open                 boolean     NOT NULL DEFAULT false,
    opened_at            timestamptz,
    reset_at             timestamptz,
    reset_by             text
);
