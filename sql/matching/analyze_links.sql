-- Statistics for the links just rebuilt inside the reconcile's transaction (autovacuum
-- cannot see them there): the rules and the star refresh join them.
SELECT timpora_analyze('identity_link');
