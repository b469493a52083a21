INSERT INTO file_ledger (
    ledger_id, feed, object_key, object_version, content_sha256, size_bytes, source_etag, landing_date,
    status, duplicate_of, rows_read, rows_loaded, rows_quarantined, rows_duplicate, note,
    registered_at, loaded_at
) VALUES (
    :ledger_id, :feed, :object_key, :object_version, :content_sha256, :size_bytes, :source_etag, :landing_date,
    :status, :duplicate_of, :rows_read, :rows_loaded, :rows_quarantined, :rows_duplicate, :note,
    :registered_at, :loaded_at
)
-- No conflict target: two workers registering the same file at once collide on the
-- ledger id as well as on (key, body), and PostgreSQL raises on a unique index that is
-- not an arbiter of the ON CONFLICT (the loser's task failed with a duplicate key).
ON CONFLICT DO NOTHING;
