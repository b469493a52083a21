-- OVERSTAY: guest nights no permit covers, of a person who held one that began on or
-- before the night: it expired, or was cancelled or revoked, before the night. A permit
-- covers the nights from valid_from to valid_until; a cancelled or revoked one only the
-- nights that begin before its cancellation was recorded (night dates compare as their
-- midnight, so the night of the cancellation day still counts as covered: the holder has
-- that day to leave). A late extension (a newer record version with a later valid_until)
-- covers the nights again, and the flag clears. Mismatched identities are left to
-- IDENTITY_MISMATCH.
WITH uncovered AS (
    SELECT
        n.report_id,
        n.passport_key,
        MIN(n.night_date) AS first_night,
        MAX(n.night_date) AS last_night,
        COUNT(*) AS night_count
    FROM guest_night AS n
    INNER JOIN reconcile_scope AS sc ON sc.person_key = n.passport_key
    -- Only nights built with no covering permit can be uncovered (the nights build reads
    -- coverage as this rule does; linking later takes coverage away only from stays with a
    -- MISMATCH link, which this rule leaves alone): the permits are probed for a twentieth
    -- of a national day's nights instead of every one.
    WHERE n.covering_permit_type IS NULL
      AND EXISTS (
        SELECT 1 FROM stay_permit AS p
        WHERE p.passport_key = n.passport_key AND p.valid_from <= n.night_date
    )
      AND NOT EXISTS (
        SELECT 1 FROM stay_permit AS p
        WHERE p.passport_key = n.passport_key
          AND p.valid_from <= n.night_date
          AND p.valid_until >= n.night_date
          AND (p.status = 'ACTIVE' OR n.night_date < p.updated_at)
    )
    GROUP BY n.report_id, n.passport_key
),
last_permit AS (
    -- The permit the guest last held before the uncovered nights: what the reviewer checks.
    SELECT
        u.report_id,
        p.permit_number,
        p.permit_type,
        p.status AS permit_status,
        p.record_version AS permit_version,
        p.activity AS permit_activity,
        p.valid_from AS permit_valid_from,
        p.valid_until AS permit_valid_until,
        p.updated_at AS permit_updated_at,
        p.office_code AS permit_office_code,
        ROW_NUMBER() OVER (
            PARTITION BY u.report_id ORDER BY p.valid_until DESC, p.valid_from DESC, p.permit_number
        ) AS pick
    FROM uncovered AS u
    INNER JOIN stay_permit AS p ON p.passport_key = u.passport_key AND p.valid_from <= u.last_night
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
    u.first_night,
    u.last_night,
    u.night_count,
    lp.permit_number,
    lp.permit_type,
    lp.permit_status,
    lp.permit_version,
    lp.permit_activity,
    lp.permit_valid_from,
    lp.permit_valid_until,
    lp.permit_updated_at,
    lp.permit_office_code
FROM uncovered AS u
INNER JOIN guest_stay AS s ON s.report_id = u.report_id
INNER JOIN region AS r ON r.region_code = s.lodging_region_code
INNER JOIN last_permit AS lp ON lp.report_id = u.report_id AND lp.pick = 1
WHERE NOT EXISTS (
    SELECT 1 FROM identity_link AS l WHERE l.report_id = s.report_id AND l.verdict = 'MISMATCH'
);
