-- Rows of one file staged for merge, and those the merge kept (the rest were exact duplicates).
SELECT
    (SELECT COUNT(*) FROM stg_stay_permit WHERE ledger_id = :ledger_id) AS staged,
    (SELECT COUNT(*) FROM stay_permit_history WHERE ledger_id = :ledger_id) AS loaded;
