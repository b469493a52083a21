-- A full reconcile: everyone the warehouse knows, and everyone a flag names, with every
-- star fact rebuilt (a claimed mark's row included).
UPDATE reconcile_scope SET documents_changed = 1;
INSERT INTO reconcile_scope (person_key, run_id, reason, documents_changed)
SELECT person_key, CAST(:run_id AS VARCHAR(40)), 'EVERYONE', 1
FROM (
    SELECT passport_key AS person_key FROM guest_stay
    UNION
    SELECT passport_key FROM stay_permit
    UNION
    SELECT passport_key FROM visa
    UNION
    SELECT person_key FROM flag
) AS everyone
WHERE person_key IS NOT NULL
ON CONFLICT (person_key) DO NOTHING;
