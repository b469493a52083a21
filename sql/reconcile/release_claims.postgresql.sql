-- Done: the run's claims are its scope's MARKED rows; emptying the scope releases them.
-- Marks written during the run are rows of reconcile_dirty, and stay for the next run.
-- Every other step of the run has committed by now and no one else reads the scope, so
-- the lock TRUNCATE takes waits for nothing; it frees the table at once, where deleting
-- a national day's 200,000 claimed marks took 2.9 s.
TRUNCATE reconcile_scope;
