-- CONCURRENT_STAY: the same person checked in at two lodgings in different regencies or
-- cities over the same night. One row per pair of stays, with the nights they share.
-- Independent of the documents, so it stands beside IDENTITY_MISMATCH on a stay.
WITH shared AS (
    SELECT
        a.passport_key AS person_key,
        a.report_id,
        b.report_id AS other_report_id,
        MIN(a.night_date) AS first_night,
        MAX(a.night_date) AS last_night,
        COUNT(*) AS night_count
    FROM guest_night AS a
    INNER JOIN reconcile_scope AS sc ON sc.person_key = a.passport_key
    INNER JOIN guest_night AS b
        ON b.passport_key = a.passport_key
        AND b.night_date = a.night_date
        AND b.report_id > a.report_id
        AND b.lodging_region_code <> a.lodging_region_code
    GROUP BY a.passport_key, a.report_id, b.report_id
)
SELECT
    s.report_id,
    sh.other_report_id,
    sh.person_key,
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
    sh.first_night,
    sh.last_night,
    sh.night_count,
    o.lodging_id AS other_lodging_id,
    o.lodging_name AS other_lodging_name,
    o.lodging_region_code AS other_region_code,
    orr.name AS other_region_name,
    o.guest_surname AS other_guest_surname,
    o.guest_given_names AS other_guest_given_names,
    o.passport_number_raw AS other_passport_number_raw,
    o.check_in_local AS other_check_in_local,
    o.check_out_local AS other_check_out_local
FROM shared AS sh
INNER JOIN guest_stay AS s ON s.report_id = sh.report_id
INNER JOIN guest_stay AS o ON o.report_id = sh.other_report_id
INNER JOIN region AS r ON r.region_code = s.lodging_region_code
INNER JOIN region AS orr ON orr.region_code = o.lodging_region_code;
