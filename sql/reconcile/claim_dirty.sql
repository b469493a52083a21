-- Start a reconcile run: take over the claims a failed run left in the scope, and move
-- every dirty mark into the scope as this run's claim. Committed on its own, before the
-- run's work: a run that dies leaves its claims there, and the next run takes them over.
-- (SQLite has one writer: no ingest writes a mark while this transaction runs.)
DELETE FROM reconcile_scope WHERE reason <> 'MARKED';
UPDATE reconcile_scope SET run_id = :run_id;
INSERT INTO reconcile_scope (person_key, run_id, reason)
SELECT person_key, CAST(:run_id AS VARCHAR(40)), 'MARKED' FROM reconcile_dirty WHERE TRUE
ON CONFLICT (person_key) DO NOTHING;
DELETE FROM reconcile_dirty;
