-- Statistics for the links just rebuilt inside the reconcile's transaction (autovacuum
-- cannot see them there): the rules and the star refresh join them.
ANALYZE identity_link;
