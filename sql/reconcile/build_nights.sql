-- Guest nights of everyone in scope, rebuilt from their stays. A night is named by the
-- lodging's local date on which it begins: check-in on 2 Oct, check-out on 4 Oct gives
-- the nights of 2 and 3 Oct. An open stay has nights up to the as-of date.
DELETE FROM guest_night WHERE passport_key IN (SELECT person_key FROM reconcile_scope);

INSERT INTO guest_night (
    report_id, night_date, night_number, passport_key, nationality, lodging_id, lodging_region_code
)
SELECT
    s.report_id, c.day, c.day_number, s.passport_key, s.nationality, s.lodging_id,
    s.lodging_region_code
FROM guest_stay AS s
INNER JOIN reconcile_scope AS sc ON sc.person_key = s.passport_key
INNER JOIN calendar_day AS c
    ON c.day >= s.check_in_date AND c.day < COALESCE(s.check_out_date, :nights_until)
WHERE s.status <> 'CANCELLED';
