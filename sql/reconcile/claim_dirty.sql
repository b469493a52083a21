-- Start a reconcile run: take over the claims a failed run left in the scope, and move
-- every dirty mark into the scope as this run's claim. Committed on its own, before the
-- run's work: a run that dies leaves its claims there, and the next run takes them over.
-- (SQLite has one writer: no ingest writes a mark while this transaction runs.)
DELETE FROM reconcile_scope WHERE reason <> 'MARKED';
UPDATE reconcile_scope SET run_id = :run_id;
-- A claim a failed run left keeps its row; a new mark that says documents changed says so
-- on it too.
INSERT INTO reconcile_scope (person_key, run_id, reason, documents_changed)
SELECT person_key, CAST(:run_id AS VARCHAR(40)), 'MARKED', documents_changed FROM reconcile_dirty WHERE TRUE
ON CONFLICT (person_key) DO UPDATE SET documents_changed = 1
WHERE excluded.documents_changed = 1;
DELETE FROM reconcile_dirty;
