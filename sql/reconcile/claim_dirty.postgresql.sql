-- Start a reconcile run: claim every person marked dirty. Committed on its own, before the
-- run's transaction: a run that dies leaves its claims, and the next run claims them again.
-- A mark an ingest is writing right now (its row locked) is left to the next run, which
-- that ingest's warehouse event starts: waiting for it here deadlocks when the ingest in
-- turn waits for a mark this statement has already claimed.
UPDATE reconcile_dirty AS d SET claimed_by = :run_id
FROM (SELECT person_key FROM reconcile_dirty FOR UPDATE SKIP LOCKED) AS free
WHERE d.person_key = free.person_key;
