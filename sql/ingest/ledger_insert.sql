INSERT INTO file_ledger (
    ledger_id, feed, object_key, object_version, content_sha256, size_bytes, source_etag, landing_date,
    status, duplicate_of, rows_read, rows_loaded, rows_quarantined, rows_duplicate, note,
    registered_at, loaded_at
) VALUES (
    :ledger_id, :feed, :object_key, :object_version, :content_sha256, :size_bytes, :source_etag, :landing_date,
    :status, :duplicate_of, :rows_read, :rows_loaded, :rows_quarantined, :rows_duplicate, :note,
    :registered_at, :loaded_at
)
ON CONFLICT (object_key, content_sha256) DO NOTHING;
