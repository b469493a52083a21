-- Check-ins of the people in scope, with how long the lodging took to report them.
INSERT INTO star_next_check_in (
    report_id, person_key, lodging_id, region_code, check_in_date_key, report_delay_hours, reported_in_time
)
SELECT
    s.report_id,
    s.passport_key,
    s.lodging_id,
    s.lodging_region_code,
    c.day_number,
    (s.check_in_reported_epoch - s.check_in_epoch) / 3600.0,
    CASE
        WHEN s.check_in_reported_epoch IS NULL THEN NULL
        WHEN s.check_in_reported_epoch - s.check_in_epoch <= :late_report_seconds THEN 1
        ELSE 0
    END
FROM guest_stay AS s
INNER JOIN reconcile_scope AS sc ON sc.person_key = s.passport_key
INNER JOIN calendar_day AS c ON c.day = s.check_in_date
WHERE s.status <> 'CANCELLED';
