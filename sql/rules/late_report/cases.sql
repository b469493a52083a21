-- LATE_REPORT: the lodging's first CHECK_IN report arrived more than :late_report_seconds
-- after the check-in it reports. Stays whose CHECK_IN event never arrived (only a later
-- check-out or correction) carry no report time and cannot be judged here.
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
    s.check_in_reported_local,
    s.check_in_reported_epoch - s.check_in_epoch AS delay_seconds,
    s.check_in_date AS first_night,
    s.check_in_date AS last_night
FROM guest_stay AS s
INNER JOIN reconcile_scope AS sc ON sc.person_key = s.passport_key
INNER JOIN region AS r ON r.region_code = s.lodging_region_code
WHERE s.status <> 'CANCELLED'
  AND s.check_in_reported_epoch IS NOT NULL
  AND s.check_in_reported_epoch - s.check_in_epoch > :late_report_seconds;
