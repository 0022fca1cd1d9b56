-- The prediction log, ground truth and drift reports (issue 12).
-- prediction_log is written by the prediction servers, asynchronously and in batches; one partition per UTC day,
-- created ahead by the writers (converge_ensure_log_partitions) and dropped whole for retention, never DELETEd.
CREATE TABLE prediction_log (
    id           uuid        NOT NULL,
    predicted_at timestamptz NOT NULL,
    model        text        NOT NULL,
    version      integer     NOT NULL,
    variant      text        NOT NULL,
    entity_id    text COLLATE "C",
    -- the feature vector as validated and scored (derived features included), and the answer
    features     jsonb       NOT NULL,
    output       jsonb       NOT NULL,
    latency_ms   real        NOT NULL,
    cached       boolean     NOT NULL,
    degraded     boolean     NOT NULL,
    warnings     jsonb
) PARTITION BY RANGE (predicted_at);

CREATE INDEX prediction_log_model_time ON prediction_log (model, version, predicted_at);
CREATE INDEX prediction_log_id ON prediction_log (id);

CREATE FUNCTION converge_ensure_log_partitions(lo timestamptz, hi timestamptz) RETURNS integer
    LANGUAGE plpgsql AS
$$
DECLARE
    day     date := (lo AT TIME ZONE 'UTC')::date;
    last    date := (hi AT TIME ZONE 'UTC')::date;
    name    text;
    created integer := 0;
BEGIN
    IF last - day > 366 THEN
        RAISE EXCEPTION 'refusing to create prediction log partitions for % .. %: more than a year', lo, hi;
    END IF;
    WHILE day <= last LOOP
        name := 'prediction_log_d' || to_char(day, 'YYYYMMDD');
        IF to_regclass(name) IS NULL THEN
            BEGIN
                EXECUTE format('CREATE TABLE %I PARTITION OF prediction_log FOR VALUES FROM (%L) TO (%L)',
                               name, day::timestamp AT TIME ZONE 'UTC', (day + 1)::timestamp AT TIME ZONE 'UTC');
                created := created + 1;
            EXCEPTION WHEN duplicate_table THEN
                NULL; -- another replica created it first
            END;
        END IF;
        day := day + 1;
    END LOOP;
    RETURN created;
END
$$;

-- Drops the log's partitions that end before `before`; returns their names.
CREATE FUNCTION converge_drop_log_partitions(before timestamptz) RETURNS SETOF text
    LANGUAGE plpgsql AS
$$
DECLARE
    part record;
BEGIN
    FOR part IN
        SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'prediction_log'::regclass AND c.relname ~ '^prediction_log_d[0-9]{8}$'
          AND (to_date(substr(c.relname, 17), 'YYYYMMDD') + 1)::timestamp AT TIME ZONE 'UTC' <= before
    LOOP
        EXECUTE format('DROP TABLE IF EXISTS %I', part.relname);
        RETURN NEXT part.relname;
    END LOOP;
END
$$;

-- Ground truth, when it becomes known. One label per prediction; a second is refused.
CREATE TABLE prediction_feedback (
    prediction_id uuid        PRIMARY KEY,
    label         jsonb       NOT NULL,
    observed_at   timestamptz NOT NULL,
    recorded_at   timestamptz NOT NULL DEFAULT now()
);

-- One row per feature (and one for the prediction) per drift run.
CREATE TABLE drift_reports (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id       uuid        NOT NULL,
    computed_at  timestamptz NOT NULL DEFAULT now(),
    model        text        NOT NULL,
    version      integer     NOT NULL,
    window_start timestamptz NOT NULL,
    window_end   timestamptz NOT NULL,
    sample_rows  integer     NOT NULL,
    feature      text        NOT NULL,
    psi          double precision,
    ks           double precision,
    level        text        NOT NULL CHECK (level IN ('ok', 'warn', 'alert', 'no_data')),
    bins         jsonb       NOT NULL
);
CREATE INDEX drift_reports_model ON drift_reports (model, version, computed_at DESC);
