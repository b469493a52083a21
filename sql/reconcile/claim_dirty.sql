-- Start a reconcile run: claim every person marked dirty and make them the run's scope.
UPDATE reconcile_dirty SET claimed_by = :run_id;
DELETE FROM reconcile_scope;
INSERT INTO reconcile_scope (person_key, run_id)
SELECT person_key, CAST(:run_id AS VARCHAR(40)) FROM reconcile_dirty WHERE claimed_by = :run_id;
