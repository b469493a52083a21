-- Done: the run's claims are its scope's MARKED rows; emptying the scope releases them.
-- Marks written during the run are rows of reconcile_dirty, and stay for the next run.
DELETE FROM reconcile_scope;
