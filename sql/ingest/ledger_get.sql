SELECT ledger_id, feed, object_key, object_version, content_sha256, size_bytes, landing_date,
       status, duplicate_of, encoding, rows_read, rows_loaded, rows_quarantined, rows_duplicate,
       blank_lines, note, registered_at, loaded_at
FROM file_ledger
WHERE ledger_id = :ledger_id;
