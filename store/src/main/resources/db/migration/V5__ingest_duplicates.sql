-- Re-ingesting rows already stored (same entity, event time and features) no longer doubles history (issue 18):
-- such rows are counted here, not inserted. rows_read = rows_accepted + rows_rejected + rows_duplicate.
ALTER TABLE ingest_runs ADD COLUMN rows_duplicate bigint NOT NULL DEFAULT 0;
