-- Guest nights of the people in scope; a night is covered when an identity-linked stay
-- permit covers it (active, or cancelled/revoked after the night began, as OVERSTAY reads it).
INSERT INTO star_next_guest_night (
    report_id, date_key, person_key, lodging_id, region_code, nationality_code, covered_by_permit, permit_type
)
SELECT
    n.report_id,
    n.night_number,
    n.passport_key,
    n.lodging_id,
    n.lodging_region_code,
    n.nationality,
    CASE WHEN covering.permit_type IS NULL THEN 0 ELSE 1 END,
    covering.permit_type
FROM guest_night AS n
INNER JOIN reconcile_scope AS sc ON sc.person_key = n.passport_key
LEFT JOIN (
    SELECT gn.report_id, gn.night_date, MIN(p.permit_type) AS permit_type
    FROM guest_night AS gn
    INNER JOIN reconcile_scope AS psc ON psc.person_key = gn.passport_key
    INNER JOIN identity_link AS l
        ON l.report_id = gn.report_id AND l.document_kind = 'PERMIT' AND l.verdict = 'LINKED'
    INNER JOIN stay_permit AS p
        ON p.permit_number = l.document_number
        AND p.valid_from <= gn.night_date
        AND p.valid_until >= gn.night_date
        AND (p.status = 'ACTIVE' OR gn.night_date < p.updated_at)
    GROUP BY gn.report_id, gn.night_date
) AS covering ON covering.report_id = n.report_id AND covering.night_date = n.night_date;
