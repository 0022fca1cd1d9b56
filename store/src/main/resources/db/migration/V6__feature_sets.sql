-- Feature sets as first-class names (issue 18): data sets live apart. An entity of feature set "churn" is stored
-- under the key "churn/<id>", so two files with ids 1..N never overwrite each other; a schema is used by the feature
-- sets listed here, and "which schema" is resolved within a set by the file's columns, never "the store's latest".
CREATE TABLE feature_sets (
    name       text        PRIMARY KEY CHECK (name ~ '^[a-z0-9][a-z0-9_-]{0,31}$'),
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE feature_set_schemas (
    feature_set    text        NOT NULL REFERENCES feature_sets (name),
    schema_version integer     NOT NULL REFERENCES feature_schemas (version),
    first_used     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (feature_set, schema_version)
);

ALTER TABLE ingest_runs ADD COLUMN feature_set text;
