-- The feature store. Identity columns are relational; features are JSONB documents, so a new feature needs no
-- migration. Schema changes to these tables are additive only (MigrationsAreAdditiveTest).

CREATE TABLE feature_schemas (
    version     integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    fingerprint text        NOT NULL UNIQUE CHECK (fingerprint ~ '^[0-9a-f]{64}$'),
    schema      jsonb       NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- One row per feature and version; a changed spec appends a new version.
CREATE TABLE feature_definitions (
    name        text        NOT NULL,
    version     integer     NOT NULL CHECK (version > 0),
    type        text        NOT NULL CHECK (type IN ('numeric', 'categorical', 'boolean', 'timestamp', 'text')),
    temperature text        NOT NULL CHECK (temperature IN ('hot', 'cold')),
    nullable    boolean     NOT NULL,
    spec        jsonb       NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (name, version)
);

-- Every row ever ingested: event time (valid time) and ingestion time (transaction time), so extraction can be
-- point-in-time and bitemporal. Monthly range partitions are created on demand by converge_ensure_partitions.
CREATE TABLE feature_history (
    -- COLLATE "C": ids compare bytewise, which is all an id needs and makes every index insert cheaper.
    entity_id       text COLLATE "C" NOT NULL CHECK (octet_length(entity_id) BETWEEN 1 AND 128),
    event_timestamp timestamptz NOT NULL,
    ingested_at     timestamptz NOT NULL DEFAULT now(),
    -- The schema version the row was validated against. No foreign key: the ingester takes it from
    -- feature_schemas in the same transaction, and a per-row RI check cost 17% of the insert (decision 0004).
    feature_version integer     NOT NULL,
    -- 1800 bytes of jsonb keeps the whole tuple under TOAST_TUPLE_THRESHOLD (2032 bytes) with a 128-byte entity
    -- id and cold moved out of line, so the hot document is never compressed or moved (docs/decisions/0002).
    hot             jsonb       NOT NULL CONSTRAINT hot_is_small_object
                                CHECK (jsonb_typeof(hot) = 'object' AND pg_column_size(hot) <= 1800),
    cold            jsonb       CONSTRAINT cold_is_object CHECK (cold IS NULL OR jsonb_typeof(cold) = 'object')
) PARTITION BY RANGE (event_timestamp);

-- MAIN: the toaster touches hot only after every cold value is out of line.
ALTER TABLE feature_history ALTER COLUMN hot SET STORAGE MAIN;

CREATE INDEX feature_history_entity_time ON feature_history (entity_id, event_timestamp DESC, ingested_at DESC);
-- Containment queries on cold documents. Hot documents are read by entity; a GIN on hot cost 40% of the
-- history insert and is left to those who query hot features by content (decision 0004).
CREATE INDEX feature_history_cold_gin ON feature_history USING gin (cold jsonb_path_ops);

CREATE FUNCTION converge_ensure_partitions(lo timestamptz, hi timestamptz) RETURNS integer
    LANGUAGE plpgsql AS
$$
DECLARE
    month   timestamp := date_trunc('month', lo AT TIME ZONE 'UTC');
    last    timestamp := date_trunc('month', hi AT TIME ZONE 'UTC');
    name    text;
    created integer   := 0;
BEGIN
    IF lo IS NULL OR hi IS NULL THEN
        RETURN 0;
    END IF;
    IF last - month > interval '200 years' THEN
        RAISE EXCEPTION 'refusing to create partitions for % .. %: more than 200 years', lo, hi;
    END IF;
    WHILE month <= last LOOP
        name := 'feature_history_p' || to_char(month, 'YYYYMM');
        IF to_regclass(name) IS NULL THEN
            BEGIN
                EXECUTE format('CREATE TABLE %I PARTITION OF feature_history FOR VALUES FROM (%L) TO (%L)',
                               name, month AT TIME ZONE 'UTC', (month + interval '1 month') AT TIME ZONE 'UTC');
                created := created + 1;
            EXCEPTION WHEN duplicate_table THEN
                NULL; -- another ingester created it first
            END;
        END IF;
        month := month + interval '1 month';
    END LOOP;
    RETURN created;
END
$$;

-- The latest row per entity, for point lookups. The upsert never lets an older event overwrite a newer one.
CREATE TABLE feature_online (
    entity_id       text COLLATE "C" PRIMARY KEY,
    event_timestamp timestamptz NOT NULL,
    ingested_at     timestamptz NOT NULL,
    feature_version integer     NOT NULL,
    hot             jsonb       NOT NULL,
    cold            jsonb
);
ALTER TABLE feature_online ALTER COLUMN hot SET STORAGE MAIN;

CREATE TABLE ingest_runs (
    id             uuid        PRIMARY KEY,
    source         text        NOT NULL,
    schema_version integer     NOT NULL REFERENCES feature_schemas (version),
    started_at     timestamptz NOT NULL DEFAULT now(),
    finished_at    timestamptz,
    rows_read      bigint      NOT NULL DEFAULT 0,
    rows_accepted  bigint      NOT NULL DEFAULT 0,
    rows_rejected  bigint      NOT NULL DEFAULT 0
);

-- Nothing is lost: every refused row is kept verbatim with every reason it was refused.
CREATE TABLE ingest_rejects (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ingest_id   uuid        NOT NULL REFERENCES ingest_runs (id),
    source      text        NOT NULL,
    line_number bigint      NOT NULL,
    raw         text        NOT NULL,
    reasons     jsonb       NOT NULL CHECK (jsonb_typeof(reasons) = 'array' AND jsonb_array_length(reasons) > 0),
    rejected_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ingest_rejects_ingest ON ingest_rejects (ingest_id, line_number);
