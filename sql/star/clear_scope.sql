-- The star rows of the people this reconcile examined are rebuilt from their records.
DELETE FROM fact_guest_night WHERE person_key IN (SELECT person_key FROM reconcile_scope);
DELETE FROM fact_check_in WHERE person_key IN (SELECT person_key FROM reconcile_scope);
DELETE FROM fact_permit WHERE person_key IN (SELECT person_key FROM reconcile_scope);
DELETE FROM fact_visa WHERE person_key IN (SELECT person_key FROM reconcile_scope);
DELETE FROM dim_person WHERE person_key IN (SELECT person_key FROM reconcile_scope);
