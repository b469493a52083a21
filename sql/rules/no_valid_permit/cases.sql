-- NO_VALID_PERMIT: guest nights covered by no stay permit, of a person who had never held
-- one by that night (no permit on this passport starting on or before the night). A stay
-- whose guest is not the holder of a document on the passport (identity_link MISMATCH)
-- raises IDENTITY_MISMATCH only: one cause, one flag.
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
    uncovered.first_night,
    uncovered.last_night,
    uncovered.night_count,
    (SELECT COUNT(*) FROM visa AS v WHERE v.passport_key = s.passport_key) AS visas_on_passport
FROM (
    SELECT
        n.report_id,
        MIN(n.night_date) AS first_night,
        MAX(n.night_date) AS last_night,
        COUNT(*) AS night_count
    FROM guest_night AS n
    INNER JOIN reconcile_scope AS sc ON sc.person_key = n.passport_key
    -- A night no permit had begun by was built with no covering permit: the permits are
    -- probed only for those nights (a twentieth of a national day's), not for every one.
    WHERE n.covering_permit_type IS NULL
      AND NOT EXISTS (
        SELECT 1
        FROM stay_permit AS p
        WHERE p.passport_key = n.passport_key AND p.valid_from <= n.night_date
    )
    GROUP BY n.report_id
) AS uncovered
INNER JOIN guest_stay AS s ON s.report_id = uncovered.report_id
INNER JOIN region AS r ON r.region_code = s.lodging_region_code
WHERE NOT EXISTS (
    SELECT 1 FROM identity_link AS l WHERE l.report_id = s.report_id AND l.verdict = 'MISMATCH'
);
