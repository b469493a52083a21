-- Start a reconcile run: take over the claims a failed run left in the scope, and move
-- every dirty mark into the scope as this run's claim. Committed on its own, before the
-- run's work: a run that dies leaves its claims there, and the next run takes them over.
-- Moving the marks (rather than stamping them with the run) lets the run release them by
-- emptying the scope.
-- A mark an ingest is writing right now (its row locked) is left to the next run, which
-- that ingest's warehouse event starts: waiting for it here deadlocks when the ingest in
-- turn waits for a mark this statement has already taken. A mark an ingest writes after
-- this commits is a new row, also the next run's.
DELETE FROM reconcile_scope WHERE reason <> 'MARKED';
UPDATE reconcile_scope SET run_id = :run_id;
WITH taken AS (
    DELETE FROM reconcile_dirty
    WHERE person_key IN (SELECT person_key FROM reconcile_dirty FOR UPDATE SKIP LOCKED)
    RETURNING person_key
)
INSERT INTO reconcile_scope (person_key, run_id, reason)
SELECT person_key, CAST(:run_id AS VARCHAR(40)), 'MARKED' FROM taken
ON CONFLICT (person_key) DO NOTHING;
