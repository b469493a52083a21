SELECT
    s.report_id, s.status, s.lodging_id, s.lodging_name, s.lodging_region_code, s.guest_surname,
    s.guest_given_names, s.sex, s.date_of_birth, s.nationality, s.passport_number,
    s.passport_number_raw, s.passport_expiry, s.check_in_local, s.check_out_local, s.occupation,
    s.purpose_of_visit, s.check_in_reported_local, s.mrz_line1, s.mrz_line2
FROM guest_stay AS s
WHERE s.report_id IN :report_ids
ORDER BY s.report_id;
