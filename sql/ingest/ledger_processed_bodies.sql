-- Loaded files of the feed with any of these bodies (under any key), earliest first: a
-- registered file byte-identical to one of them is not processed again (FEEDS.md: "a file
-- with a byte-identical body to one already loaded is a no-op"). A rejected file's body is
-- no model: another name can read the same bytes otherwise (a .gz suffix, a lodging id).
SELECT content_sha256, ledger_id, object_key, status, rows_read
FROM file_ledger
WHERE content_sha256 IN :digests AND feed = :feed AND status = 'LOADED'
ORDER BY registered_at, ledger_id;
