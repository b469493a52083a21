-- Start a reconcile run: claim every person marked dirty. Committed on its own, before the
-- run's transaction: a run that dies leaves its claims, and the next run claims them again.
UPDATE reconcile_dirty SET claimed_by = :run_id;
