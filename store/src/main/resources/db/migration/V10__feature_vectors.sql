-- Vector features (issue 15): embeddings stored apart from the JSONB documents, one row per stored row and vector
-- feature, as real[] (32-bit floats, pgvector's precision). The column is real[] and not pgvector's type so that the
-- same tables work where the extension is absent (the embedded PostgreSQL); where it is present, each vector feature
-- gets an HNSW index on the expression embedding::vector(n), partial on its feature (VectorIndex, at run time), and
-- an extension installed later only adds the index (docs/decisions/0014).

-- Every stored row's vectors, keyed as feature_history's rows are (entity, event time, ingestion order).
CREATE TABLE feature_vector_history (
    entity_id       text COLLATE "C" NOT NULL,
    event_timestamp timestamptz NOT NULL,
    ingest_seq      bigint      NOT NULL,
    feature         text        NOT NULL,
    embedding       real[]      NOT NULL CONSTRAINT vector_is_flat CHECK (array_ndims(embedding) = 1),
    PRIMARY KEY (entity_id, event_timestamp, ingest_seq, feature)
);

-- The vectors of each entity's online row (feature_online.ingest_seq), for point lookups and similarity search.
-- A vector whose ingest_seq is not its entity's online row's any more is stale: reads join on it, ingestion
-- deletes it.
CREATE TABLE feature_vector_online (
    entity_id       text COLLATE "C" NOT NULL,
    feature         text        NOT NULL,
    event_timestamp timestamptz NOT NULL,
    ingest_seq      bigint      NOT NULL,
    embedding       real[]      NOT NULL CONSTRAINT vector_is_flat CHECK (array_ndims(embedding) = 1),
    PRIMARY KEY (entity_id, feature)
);

-- A stored row that carries vectors has their digest, so that a file ingested again is still found a duplicate,
-- and a row that differs from a stored one only in a vector is not.
ALTER TABLE feature_history ADD COLUMN vector_digest text;

-- The exact distance of two vectors by metric, as pgvector's operators define it (cosine: 1 - cos, l2: Euclidean,
-- inner_product: the negated dot product): where pgvector is absent, similarity search compares every vector.
CREATE FUNCTION converge_vector_distance(a real[], b real[], metric text) RETURNS double precision
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS
$$
SELECT CASE metric
           WHEN 'cosine' THEN 1 - sum(x::float8 * y) / nullif(sqrt(sum(x::float8 * x)) * sqrt(sum(y::float8 * y)), 0)
           WHEN 'l2' THEN sqrt(sum((x::float8 - y) ^ 2))
           WHEN 'inner_product' THEN -sum(x::float8 * y)
       END
FROM unnest(a, b) AS t(x, y)
$$;

-- The feature type vector (a widened CHECK: every existing row still passes).
ALTER TABLE feature_definitions DROP CONSTRAINT feature_definitions_type_check;
ALTER TABLE feature_definitions ADD CONSTRAINT feature_definitions_type_check
    CHECK (type IN ('numeric', 'categorical', 'boolean', 'timestamp', 'text', 'vector'));
