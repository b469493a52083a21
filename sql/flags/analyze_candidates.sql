-- Statistics for this run's candidates before they are joined with the flags: the table
-- is refilled inside the reconcile's transaction, where autovacuum never sees it.
SELECT timpora_analyze('flag_candidate');
