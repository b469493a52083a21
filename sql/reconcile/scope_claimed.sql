-- The run's scope: the people it claimed (a mark an ingest renewed since is the next run's).
DELETE FROM reconcile_scope;
INSERT INTO reconcile_scope (person_key, run_id)
SELECT person_key, CAST(:run_id AS VARCHAR(40)) FROM reconcile_dirty WHERE claimed_by = :run_id;
