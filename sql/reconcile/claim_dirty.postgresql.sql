-- Start a reconcile run: take over the claims a failed run left in the scope, and move
-- every dirty mark into the scope as this run's claim. Committed on its own, before the
-- run's work: a run that dies leaves its claims there, and the next run takes them over.
-- Moving the marks (rather than stamping them with the run) lets the run release them by
-- emptying the scope.
-- A mark an ingest is writing right now (its row locked) is left to the next run, which
-- that ingest's warehouse event starts: waiting for it here deadlocks when the ingest in
-- turn waits for a mark this statement has already taken. A mark an ingest writes after
-- this commits is a new row, also the next run's.
-- Planner statistics for the marks first: the ingests have just written them, and with the
-- statistics of the empty table the last run left (no distinct values known) PostgreSQL
-- took the 200,000 marks of a national day for 200 and deleted them one index probe at a
-- time, the list of keys it locked spilling to disk: 2.7 s of a step both connections
-- wait for, 1.3 s after ANALYZE (which samples at most 30,000 rows). Its lock does not
-- block the ingests' writes.
SELECT timpora_analyze('reconcile_dirty');
DELETE FROM reconcile_scope WHERE reason <> 'MARKED';
UPDATE reconcile_scope SET run_id = :run_id;
-- A claim a failed run left keeps its row; a new mark that says documents changed says so
-- on it too.
WITH taken AS (
    DELETE FROM reconcile_dirty
    WHERE person_key IN (SELECT person_key FROM reconcile_dirty FOR UPDATE SKIP LOCKED)
    RETURNING person_key, documents_changed
)
INSERT INTO reconcile_scope (person_key, run_id, reason, documents_changed)
SELECT person_key, CAST(:run_id AS VARCHAR(40)), 'MARKED', documents_changed FROM taken
ON CONFLICT (person_key) DO UPDATE SET documents_changed = 1
WHERE excluded.documents_changed = 1;
