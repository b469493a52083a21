-- The as-of date moved: open stays gained nights, so their guests are re-examined too.
-- Their permits and visas did not change for it.
INSERT INTO reconcile_scope (person_key, run_id, reason, documents_changed)
SELECT DISTINCT s.passport_key, CAST(:run_id AS VARCHAR(40)), 'OPEN_STAY', 0
FROM guest_stay AS s
WHERE s.status = 'OPEN'
ON CONFLICT (person_key) DO NOTHING;
