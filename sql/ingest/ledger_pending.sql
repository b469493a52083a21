-- Registered files not processed yet, oldest landing first.
SELECT ledger_id
FROM file_ledger
WHERE status = 'REGISTERED' AND feed = :feed
ORDER BY landing_date, object_key, object_version;
