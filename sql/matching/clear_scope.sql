-- Links are rebuilt for every person the run examines.
DELETE FROM identity_link WHERE person_key IN (SELECT person_key FROM reconcile_scope);
