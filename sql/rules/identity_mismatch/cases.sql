-- IDENTITY_MISMATCH: the passport matches a permit or visa, but the guest is not its
-- holder (identity_link MISMATCH: name, date of birth, sex or nationality disagree beyond
-- typing noise). One row per mismatched document; the describer groups them per stay.
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
    nights.first_night,
    nights.last_night,
    nights.night_count,
    l.document_kind,
    l.document_number,
    l.name_verdict,
    l.date_of_birth_verdict,
    l.sex_verdict,
    l.nationality_verdict,
    l.score,
    l.comparison
FROM identity_link AS l
INNER JOIN reconcile_scope AS sc ON sc.person_key = l.person_key
INNER JOIN guest_stay AS s ON s.report_id = l.report_id
INNER JOIN region AS r ON r.region_code = s.lodging_region_code
LEFT JOIN (
    SELECT n.report_id, MIN(n.night_date) AS first_night, MAX(n.night_date) AS last_night, COUNT(*) AS night_count
    FROM guest_night AS n
    INNER JOIN reconcile_scope AS nsc ON nsc.person_key = n.passport_key
    GROUP BY n.report_id
) AS nights ON nights.report_id = s.report_id
WHERE l.verdict = 'MISMATCH'
ORDER BY s.report_id, l.document_kind, l.document_number;
