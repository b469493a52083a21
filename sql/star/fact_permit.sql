-- The permits of the people in scope whose documents changed, as fact_permit should hold
-- them (staged; see stage_next): no one else's permit facts can have changed.
INSERT INTO star_next_permit (
    permit_number, person_key, permit_type, status, activity, sponsor_type, region_code,
    valid_from_key, valid_until_key, record_version
)
SELECT
    p.permit_number, p.passport_key, p.permit_type, p.status, p.activity, p.sponsor_type,
    p.region_code, f.day_number, u.day_number, p.record_version
FROM stay_permit AS p
INNER JOIN reconcile_scope AS sc ON sc.person_key = p.passport_key AND sc.documents_changed = 1
INNER JOIN calendar_day AS f ON f.day = p.valid_from
INNER JOIN calendar_day AS u ON u.day = p.valid_until;
