-- The star's foreign keys are kept by the refresh, not by PostgreSQL's per-row triggers.
--
-- Each reconcile rebuilds the star rows of everyone it examined: on a national day that is
-- some 200,000 people, 500,000 guest nights and 170,000 permits. Every enforced reference
-- is a trigger that looks the key up row by row (2.5 million lookups for the nights
-- alone), and deleting a person's dimension row checks all four fact tables per row: the
-- refresh spent over 100 of its 130 seconds there. The refresh builds every fact row by
-- joining the rows its keys name (calendar_day, reconcile_scope, the region list, the
-- nationality codes it first adds to dim_nationality), and tests assert that no fact row
-- references a missing dimension row (tests/test_analyst_views.py). The references stay
-- declared on SQLite, which never enforced them (foreign_keys is off), and in the data
-- dictionary, which documents them.
ALTER TABLE dim_person DROP CONSTRAINT IF EXISTS dim_person_nationality_code_fkey;
ALTER TABLE fact_guest_night DROP CONSTRAINT IF EXISTS fact_guest_night_date_key_fkey;
ALTER TABLE fact_guest_night DROP CONSTRAINT IF EXISTS fact_guest_night_lodging_id_fkey;
ALTER TABLE fact_guest_night DROP CONSTRAINT IF EXISTS fact_guest_night_nationality_code_fkey;
ALTER TABLE fact_guest_night DROP CONSTRAINT IF EXISTS fact_guest_night_person_key_fkey;
ALTER TABLE fact_guest_night DROP CONSTRAINT IF EXISTS fact_guest_night_region_code_fkey;
ALTER TABLE fact_check_in DROP CONSTRAINT IF EXISTS fact_check_in_check_in_date_key_fkey;
ALTER TABLE fact_check_in DROP CONSTRAINT IF EXISTS fact_check_in_lodging_id_fkey;
ALTER TABLE fact_check_in DROP CONSTRAINT IF EXISTS fact_check_in_person_key_fkey;
ALTER TABLE fact_check_in DROP CONSTRAINT IF EXISTS fact_check_in_region_code_fkey;
ALTER TABLE fact_permit DROP CONSTRAINT IF EXISTS fact_permit_person_key_fkey;
ALTER TABLE fact_permit DROP CONSTRAINT IF EXISTS fact_permit_region_code_fkey;
ALTER TABLE fact_permit DROP CONSTRAINT IF EXISTS fact_permit_valid_from_key_fkey;
ALTER TABLE fact_permit DROP CONSTRAINT IF EXISTS fact_permit_valid_until_key_fkey;
ALTER TABLE fact_visa DROP CONSTRAINT IF EXISTS fact_visa_issued_date_key_fkey;
ALTER TABLE fact_visa DROP CONSTRAINT IF EXISTS fact_visa_person_key_fkey;
ALTER TABLE fact_visa DROP CONSTRAINT IF EXISTS fact_visa_valid_until_key_fkey;
