-- The star rows the people in scope should have are first written to these session tables;
-- star.apply_staged then deletes only the rows that differ and inserts only the ones missing.
-- On a national day most returning people's permits and visas are unchanged, and
-- rewriting them (and their indexes) cost more than comparing them. Copying the facts' own
-- column types keeps the comparison exact (a REAL stays a REAL). The guest-night facts are
-- a view over the run's nights (migration 0008) and need no staging.
CREATE TEMPORARY TABLE star_next_person AS SELECT * FROM dim_person WHERE 1 = 0;
CREATE TEMPORARY TABLE star_next_check_in AS SELECT * FROM fact_check_in WHERE 1 = 0;
CREATE TEMPORARY TABLE star_next_permit AS SELECT * FROM fact_permit WHERE 1 = 0;
CREATE TEMPORARY TABLE star_next_visa AS SELECT * FROM fact_visa WHERE 1 = 0;
