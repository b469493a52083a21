-- Fresh planner statistics for the tables a reconcile has just refilled. Each run replaces
-- the scope and the scope's nights wholesale inside one transaction, where autovacuum
-- cannot see them: with the previous run's statistics (often an empty scope) PostgreSQL
-- plans nested loops over hundreds of thousands of rows. ANALYZE samples at most 30,000
-- rows per table, so this costs well under a second at any size.
ANALYZE reconcile_scope;
ANALYZE guest_stay;
ANALYZE guest_night;
