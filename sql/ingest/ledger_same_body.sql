-- An already processed file with a byte-identical body (under any key).
SELECT ledger_id, object_key, status, rows_read
FROM file_ledger
WHERE content_sha256 = :content_sha256 AND status IN ('LOADED', 'REJECTED')
ORDER BY registered_at, ledger_id
LIMIT 1;
