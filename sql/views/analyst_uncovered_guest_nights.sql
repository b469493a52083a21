-- Guest nights without permit coverage: each night a guest spent in a lodging with no stay
-- permit (identity-linked to the stay) valid that night. The person appears only as a
-- pseudonym; count or join on person_pseudonym.
CREATE VIEW analyst_uncovered_guest_nights AS
SELECT
    d.day,
    g.region_code,
    r.name AS region_name,
    r.province_code,
    g.lodging_id,
    l.lodging_name,
    g.report_id,
    p.person_pseudonym,
    g.nationality_code
FROM fact_guest_night AS g
INNER JOIN dim_date AS d ON d.date_key = g.date_key
INNER JOIN dim_region AS r ON r.region_code = g.region_code
INNER JOIN dim_lodging AS l ON l.lodging_id = g.lodging_id
INNER JOIN dim_person AS p ON p.person_key = g.person_key
WHERE g.covered_by_permit = 0;
