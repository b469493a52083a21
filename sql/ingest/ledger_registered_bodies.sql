-- Registered, not yet processed files of the feed with any of these bodies: the first
-- landed of two identical bodies is the one processed, in whichever group it waits. A
-- file registered under an invalid key (no landing date) is never processed.
SELECT content_sha256, ledger_id, object_key, object_version, landing_date
FROM file_ledger
WHERE content_sha256 IN :digests AND feed = :feed AND status = 'REGISTERED' AND landing_date IS NOT NULL;
