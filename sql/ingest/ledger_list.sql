-- The file ledger for reports, oldest landing first.
SELECT ledger_id, feed, object_key, object_version, status, encoding, rows_read, rows_loaded,
       rows_quarantined, rows_duplicate, blank_lines, note, duplicate_of, registered_at, loaded_at
FROM file_ledger
ORDER BY landing_date, object_key, object_version;
