-- Planner statistics for the stays this file touched, before they are marked and folded.
-- Without them PostgreSQL takes the list for a few hundred rows: on a national day at 4x
-- it then sorted every event ever loaded (800,000 rows) to merge-join them with the list,
-- 4.7 s per file where joining first and sorting the touched events takes 2.1 s. ANALYZE
-- samples at most 30,000 rows. Its lock is held to the end of the merge's transaction, so
-- two files' folds run one after the other. No deadlock: a merge waiting for the lock has
-- written only its own new events and list, which the fold holding it never waits for.
SELECT timpora_analyze('merge_touched_report');
