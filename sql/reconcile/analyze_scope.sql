-- Fresh planner statistics for the scope a run has just settled and for the stays, before
-- either connection plans a statement over them. With the previous run's (often a small
-- scope, and none of the stays an ingest has just merged) PostgreSQL plans the candidate
-- pairs of identity linking as nested loops of index probes into the two million permits
-- and visas, one per stay. ANALYZE samples at most 30,000 rows per table.
SELECT timpora_analyze('reconcile_scope');
SELECT timpora_analyze('guest_stay');
