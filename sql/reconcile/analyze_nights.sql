-- Fresh planner statistics for the nights a reconcile has just rebuilt (the scope and the
-- stays were analyzed with the scope, see analyze_scope.sql). The run replaces the scope's
-- nights wholesale, where autovacuum cannot see them before the rules read them.
-- ANALYZE samples at most 30,000 rows, so this costs well under a second at any size.
SELECT timpora_analyze('guest_night');
