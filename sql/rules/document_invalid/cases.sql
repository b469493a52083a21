-- DOCUMENT_INVALID, the records: stays (not cancelled) with a scanned MRZ, or whose typed
-- passport expiry falls before the check-in. The MRZ check digits and the comparison with
-- the typed fields run column-wise in Python (timpora.documents.mrz_batch).
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
    s.check_in_date,
    s.passport_expiry,
    s.mrz_line1,
    s.mrz_line2,
    s.check_in_date AS first_night,
    s.check_in_date AS last_night
FROM guest_stay AS s
INNER JOIN reconcile_scope AS sc ON sc.person_key = s.passport_key
INNER JOIN region AS r ON r.region_code = s.lodging_region_code
WHERE s.status <> 'CANCELLED'
  AND (s.mrz_line1 IS NOT NULL OR s.mrz_line2 IS NOT NULL OR s.passport_expiry < s.check_in_date);
