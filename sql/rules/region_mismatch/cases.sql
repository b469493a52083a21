-- REGION_MISMATCH: an ITAS/ITAP holder lodging outside the province of the permit's
-- registered address for more than :region_mismatch_nights consecutive nights (an
-- unreported change of address). A night is "away" when an active ITAS/ITAP permit covers
-- it and none of the covering ITAS/ITAP permits is registered in the lodging's province.
-- Consecutive away nights form runs (gaps and islands: night number minus row number is
-- constant along a run), across back-to-back stays. One row per run and stay of the run.
WITH away AS (
    SELECT
        n.passport_key AS person_key,
        n.night_date,
        n.night_number,
        MIN(n.report_id) AS report_id,
        MIN(p.permit_number) AS permit_number
    FROM guest_night AS n
    INNER JOIN reconcile_scope AS sc ON sc.person_key = n.passport_key
    INNER JOIN region AS lr ON lr.region_code = n.lodging_region_code
    INNER JOIN stay_permit AS p
        ON p.passport_key = n.passport_key
        AND p.permit_type IN ('ITAS', 'ITAP')
        AND p.status = 'ACTIVE'
        AND p.valid_from <= n.night_date
        AND p.valid_until >= n.night_date
    WHERE NOT EXISTS (
        SELECT 1
        FROM stay_permit AS home
        INNER JOIN region AS hr ON hr.region_code = home.region_code
        WHERE home.passport_key = n.passport_key
          AND home.permit_type IN ('ITAS', 'ITAP')
          AND home.status = 'ACTIVE'
          AND home.valid_from <= n.night_date
          AND home.valid_until >= n.night_date
          AND hr.province_code = lr.province_code
    )
      AND NOT EXISTS (
        SELECT 1 FROM identity_link AS l WHERE l.report_id = n.report_id AND l.verdict = 'MISMATCH'
    )
    GROUP BY n.passport_key, n.night_date, n.night_number
),
islands AS (
    SELECT
        a.*,
        a.night_number - ROW_NUMBER() OVER (PARTITION BY a.person_key ORDER BY a.night_number) AS island
    FROM away AS a
),
runs AS (
    SELECT
        person_key,
        island,
        MIN(night_date) AS first_night,
        MAX(night_date) AS last_night,
        COUNT(*) AS night_count,
        MIN(night_number) AS first_number
    FROM islands
    GROUP BY person_key, island
    HAVING COUNT(*) > :region_mismatch_nights
)
SELECT
    first_stay.report_id,
    run_stay.report_id AS run_report_id,
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
    lr.name AS region_name,
    lr.province_code,
    s.check_in_local,
    s.check_out_local,
    runs.first_night,
    runs.last_night,
    runs.night_count,
    p.permit_number,
    p.permit_type,
    p.region_code AS permit_region_code,
    pr.name AS permit_region_name,
    pr.province_code AS permit_province_code,
    pp.name AS permit_province_name,
    p.address AS permit_address,
    p.valid_from AS permit_valid_from,
    p.valid_until AS permit_valid_until
FROM runs
INNER JOIN islands AS first_stay
    ON first_stay.person_key = runs.person_key AND first_stay.night_number = runs.first_number
INNER JOIN (
    SELECT DISTINCT person_key, island, report_id FROM islands
) AS run_stay ON run_stay.person_key = runs.person_key AND run_stay.island = runs.island
INNER JOIN guest_stay AS s ON s.report_id = first_stay.report_id
INNER JOIN region AS lr ON lr.region_code = s.lodging_region_code
INNER JOIN stay_permit AS p ON p.permit_number = first_stay.permit_number
INNER JOIN region AS pr ON pr.region_code = p.region_code
INNER JOIN region AS pp ON pp.region_code = pr.province_code
ORDER BY s.report_id, run_stay.report_id;
