-- Guest nights of everyone in scope, rebuilt from their stays. A night is named by the
-- lodging's local date on which it begins: check-in on 2 Oct, check-out on 4 Oct gives
-- the nights of 2 and 3 Oct. An open stay has nights up to the as-of date.
DELETE FROM guest_night WHERE passport_key IN (SELECT person_key FROM reconcile_scope);

-- A night's covering permit (fact_guest_night.permit_type, the lowest type when several):
-- a stay permit on the guest's passport key valid that night, active or cancelled/revoked
-- after the night began, as OVERSTAY reads it. Those are the permits identity linking
-- compares the stay with; this runs beside linking, so star/linked_coverage later takes
-- away the permits whose link turns out a MISMATCH.
INSERT INTO guest_night (
    report_id, night_date, night_number, passport_key, nationality, lodging_id, lodging_region_code,
    covering_permit_type
)
SELECT
    s.report_id, c.day, c.day_number, s.passport_key, s.nationality, s.lodging_id,
    s.lodging_region_code,
    (
        SELECT MIN(p.permit_type)
        FROM stay_permit AS p
        WHERE p.passport_key = s.passport_key
            AND p.valid_from <= c.day
            AND p.valid_until >= c.day
            AND (p.status = 'ACTIVE' OR c.day < p.updated_at)
    )
FROM guest_stay AS s
INNER JOIN reconcile_scope AS sc ON sc.person_key = s.passport_key
INNER JOIN calendar_day AS c
    ON c.day >= s.check_in_date AND c.day < COALESCE(s.check_out_date, :nights_until)
WHERE s.status <> 'CANCELLED';
