-- PURPOSE_MISMATCH, the records: each stay (not cancelled, identity not in doubt) of the
-- people in scope, with the stay permit it lodges under (the one overlapping the stay;
-- an active one first, then the latest) and that permit's visa. What the guest declares is
-- read against them column-wise in Python (timpora.rules.purpose): free text does not
-- belong in SQL. Only stays that can disagree come back: those whose text names an activity
-- (:declaring_texts, read by the lexicon off declared_texts.sql beside this file; :every_text when
-- they are too many to list) or whose permit or visa has a sponsor type implying one.
WITH stay_permit_pick AS (
    SELECT
        s.report_id,
        p.permit_number,
        p.permit_type,
        p.status AS permit_status,
        p.activity AS permit_activity,
        p.sponsor_name AS permit_sponsor_name,
        p.sponsor_type AS permit_sponsor_type,
        p.visa_number,
        p.valid_from AS permit_valid_from,
        p.valid_until AS permit_valid_until,
        ROW_NUMBER() OVER (
            PARTITION BY s.report_id
            ORDER BY CASE WHEN p.status = 'ACTIVE' THEN 0 ELSE 1 END, p.valid_from DESC, p.permit_number
        ) AS pick
    FROM guest_stay AS s
    INNER JOIN reconcile_scope AS sc ON sc.person_key = s.passport_key
    INNER JOIN stay_permit AS p
        ON p.passport_key = s.passport_key
        AND p.valid_from <= COALESCE(s.check_out_date, :as_of)
        AND p.valid_until >= s.check_in_date
    WHERE s.status <> 'CANCELLED'
)
SELECT
    s.report_id,
    s.passport_key AS person_key,
    s.passport_number,
    s.passport_number_raw,
    s.nationality,
    s.guest_surname,
    s.guest_given_names,
    s.date_of_birth,
    s.sex,
    s.lodging_id,
    s.lodging_name,
    s.lodging_region_code AS region_code,
    r.name AS region_name,
    r.province_code,
    s.check_in_local,
    s.check_out_local,
    -- Each returned stay's nights by their key, one index probe each: a join with every
    -- scope night's aggregate was planned as a nested loop (the filter below makes the
    -- planner expect one stay) and took 79 s at a quarter of a national day.
    (
        SELECT MIN(n.night_date) FROM guest_night AS n
        WHERE n.report_id = s.report_id AND n.passport_key = s.passport_key
    ) AS first_night,
    (
        SELECT MAX(n.night_date) FROM guest_night AS n
        WHERE n.report_id = s.report_id AND n.passport_key = s.passport_key
    ) AS last_night,
    (
        SELECT NULLIF(COUNT(*), 0) FROM guest_night AS n
        WHERE n.report_id = s.report_id AND n.passport_key = s.passport_key
    ) AS night_count,
    s.occupation,
    s.purpose_of_visit,
    pp.permit_number,
    pp.permit_type,
    pp.permit_status,
    pp.permit_activity,
    pp.permit_sponsor_name,
    pp.permit_sponsor_type,
    pp.permit_valid_from,
    pp.permit_valid_until,
    v.visa_number,
    v.visa_index,
    v.issued_at AS visa_issued_at,
    v.purpose AS visa_purpose,
    v.sponsor_name AS visa_sponsor_name,
    v.sponsor_type AS visa_sponsor_type
FROM stay_permit_pick AS pp
INNER JOIN guest_stay AS s ON s.report_id = pp.report_id
INNER JOIN region AS r ON r.region_code = s.lodging_region_code
LEFT JOIN visa AS v ON v.visa_number = pp.visa_number
WHERE pp.pick = 1
  AND NOT EXISTS (
    SELECT 1 FROM identity_link AS l WHERE l.report_id = s.report_id AND l.verdict = 'MISMATCH'
  )
  AND (
    :every_text = 1
    OR COALESCE(s.occupation, '') || ' | ' || COALESCE(s.purpose_of_visit, '') IN :declaring_texts
    OR pp.permit_sponsor_type IN :implying_sponsor_types
    OR v.sponsor_type IN :implying_sponsor_types
  );
