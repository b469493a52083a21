-- Done: forget the dirty marks this run handled (a mark renewed during the run survives).
-- A mark an ingest is renewing right now survives too: it is skipped, not waited for.
DELETE FROM reconcile_dirty
WHERE person_key IN (
    SELECT person_key FROM reconcile_dirty
    WHERE claimed_by = :run_id
    FOR UPDATE SKIP LOCKED
);
DELETE FROM reconcile_scope WHERE run_id = :run_id;
