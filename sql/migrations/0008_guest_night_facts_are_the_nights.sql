-- The guest-night facts were a copy of guest_night (renamed columns) plus the permit that
-- covers each night, rewritten by every reconcile: on a national day half a million rows
-- staged, compared and inserted a second time, and at four times that day the largest
-- statement of the run. The covering permit is now a column of guest_night, set when the
-- nights are built (and corrected once identity links are in), and fact_guest_night is a
-- view over it with the columns and keys it had.
ALTER TABLE guest_night ADD COLUMN covering_permit_type VARCHAR(4);
UPDATE guest_night SET covering_permit_type = (
    SELECT f.permit_type FROM fact_guest_night AS f
    WHERE f.report_id = guest_night.report_id AND f.date_key = guest_night.night_number
);
CREATE INDEX ix_guest_night_region_day ON guest_night (lodging_region_code, night_number);
-- The analyst views over the table go first (PostgreSQL refuses to drop it under them);
-- migrate() recreates every analyst view after the migrations.
DROP VIEW IF EXISTS analyst_foreigners_present;
DROP VIEW IF EXISTS analyst_uncovered_guest_nights;
DROP VIEW IF EXISTS analyst_people;
DROP TABLE fact_guest_night;

-- One row per guest night (a view over guest_night); covered_by_permit: a stay permit
-- identity-linked to the stay covers the night. date_key refers to dim_date, person_key to
-- dim_person, lodging_id to dim_lodging, region_code to dim_region and nationality_code to
-- dim_nationality; the reconcile keeps those rows for everyone it examines.
CREATE VIEW fact_guest_night AS
SELECT
    report_id,
    night_number AS date_key,
    passport_key AS person_key,
    lodging_id,
    lodging_region_code AS region_code,
    nationality AS nationality_code,
    CASE WHEN covering_permit_type IS NULL THEN 0 ELSE 1 END AS covered_by_permit,
    covering_permit_type AS permit_type
FROM guest_night;
