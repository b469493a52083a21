-- One of a processed file's loaded rows moved to the quarantine: its counts follow, so
-- rows read = loaded + quarantined + exact duplicates still holds.
UPDATE file_ledger
SET rows_loaded = rows_loaded - 1, rows_quarantined = rows_quarantined + 1
WHERE ledger_id = :ledger_id;
