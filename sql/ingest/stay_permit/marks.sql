-- Merge staged permit files, last step (after history.sql and current.sql). A mark names
-- the merge that set it (:merge_id, its first file's ledger id).
-- Everyone any version of these permits names is re-examined by the next reconcile.
INSERT INTO reconcile_dirty (person_key, marked_by, documents_changed)
SELECT DISTINCT h.passport_key, CAST(:merge_id AS VARCHAR(32)), 1
FROM stay_permit_history AS h
WHERE h.permit_number IN (
    SELECT s.permit_number FROM stg_stay_permit AS s WHERE s.ledger_id IN :ledger_ids
)
ORDER BY h.passport_key  -- in key order, as every writer of marks (no deadlock between ingests)
-- Renewing a mark locks its row: a reconcile claiming the marks right now leaves it for
-- the next run, which sees this file's rows.
ON CONFLICT (person_key) DO UPDATE SET marked_by = excluded.marked_by, documents_changed = 1;
