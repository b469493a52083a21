-- Merge one staged permit file, last step (after history.sql and current.sql).
-- Everyone any version of these permits names is re-examined by the next reconcile.
INSERT INTO reconcile_dirty (person_key, marked_by, documents_changed)
SELECT DISTINCT h.passport_key, CAST(:ledger_id AS VARCHAR(32)), 1
FROM stay_permit_history AS h
WHERE h.permit_number IN (
    SELECT s.permit_number FROM stg_stay_permit AS s WHERE s.ledger_id = :ledger_id
)
ORDER BY h.passport_key  -- in key order, as every writer of marks (no deadlock between ingests)
-- Renewing a mark locks its row: a reconcile claiming the marks right now leaves it for
-- the next run, which sees this file's rows.
ON CONFLICT (person_key) DO UPDATE SET marked_by = excluded.marked_by, documents_changed = 1;
