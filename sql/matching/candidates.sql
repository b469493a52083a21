-- Candidate identity links: each stay (not cancelled) of the people in scope against every
-- stay permit and visa on the same passport linking key (separators dropped, O/0 and I/1
-- folded), whatever the document's status: who the holder is does not change with it.
SELECT
    s.report_id,
    s.passport_key AS person_key,
    'PERMIT' AS document_kind,
    p.permit_number AS document_number,
    s.passport_number AS guest_passport_number,
    s.guest_surname,
    s.guest_given_names,
    s.date_of_birth AS guest_date_of_birth,
    s.sex AS guest_sex,
    s.nationality AS guest_nationality,
    p.passport_number AS document_passport_number,
    p.surname AS document_surname,
    p.given_names AS document_given_names,
    p.date_of_birth AS document_date_of_birth,
    p.sex AS document_sex,
    p.nationality AS document_nationality
FROM guest_stay AS s
INNER JOIN reconcile_scope AS sc ON sc.person_key = s.passport_key
INNER JOIN stay_permit AS p ON p.passport_key = s.passport_key
WHERE s.status <> 'CANCELLED'
UNION ALL
SELECT
    s.report_id,
    s.passport_key AS person_key,
    'VISA' AS document_kind,
    v.visa_number AS document_number,
    s.passport_number AS guest_passport_number,
    s.guest_surname,
    s.guest_given_names,
    s.date_of_birth AS guest_date_of_birth,
    s.sex AS guest_sex,
    s.nationality AS guest_nationality,
    v.passport_number AS document_passport_number,
    v.surname AS document_surname,
    v.given_names AS document_given_names,
    v.date_of_birth AS document_date_of_birth,
    v.sex AS document_sex,
    v.nationality AS document_nationality
FROM guest_stay AS s
INNER JOIN reconcile_scope AS sc ON sc.person_key = s.passport_key
INNER JOIN visa AS v ON v.passport_key = s.passport_key
WHERE s.status <> 'CANCELLED';
