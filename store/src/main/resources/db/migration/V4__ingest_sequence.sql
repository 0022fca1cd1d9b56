-- One tie-break for training and serving (issue 10, item 13). Two rows of one entity with the same event time
-- (in one file, or in two concurrent ingestions) used to be told apart by the online table with the source line and
-- commit order, and by point-in-time extraction with ingested_at, which is the transaction's start: the two could
-- pick different rows. Every stored row now takes a number from one sequence, in source order, and both sides
-- keep the row with the highest: the last one ingested. Rows stored before this migration have none and lose ties.
CREATE SEQUENCE feature_ingest_seq;
ALTER TABLE feature_history ADD COLUMN ingest_seq bigint;
ALTER TABLE feature_online ADD COLUMN ingest_seq bigint;

DROP INDEX feature_history_entity_time;
CREATE INDEX feature_history_entity_time ON feature_history (entity_id, event_timestamp DESC, ingest_seq DESC NULLS LAST);

-- A run that fails says so and how far it got (issue 10, item 11); its counts are written with each batch.
ALTER TABLE ingest_runs ADD COLUMN failed_at timestamptz;
ALTER TABLE ingest_runs ADD COLUMN failure text;
