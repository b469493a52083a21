-- Already processed files with any of these bodies (under any key), earliest first: a
-- registered file byte-identical to one of them is not processed again.
SELECT content_sha256, ledger_id, object_key, status, rows_read
FROM file_ledger
WHERE content_sha256 IN :digests AND status IN ('LOADED', 'REJECTED')
ORDER BY registered_at, ledger_id;
