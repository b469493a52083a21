-- The permits and visas on the flag's passport, for the side-by-side view.
SELECT
    'PERMIT' AS document_kind, p.permit_number AS document_number, p.record_version, p.status,
    p.permit_type AS kind, p.surname, p.given_names, p.sex, p.date_of_birth, p.nationality,
    p.passport_number, p.activity, p.sponsor_name, p.sponsor_type, p.region_code,
    p.address, p.office_code, p.valid_from, p.valid_until
FROM stay_permit AS p
WHERE p.passport_key = :person_key
UNION ALL
SELECT
    'VISA' AS document_kind, v.visa_number AS document_number, v.record_version, v.status,
    v.visa_index AS kind, v.surname, v.given_names, v.sex, v.date_of_birth, v.nationality,
    v.passport_number, v.purpose AS activity, v.sponsor_name, v.sponsor_type, NULL AS region_code,
    NULL AS address, NULL AS office_code, v.issued_at AS valid_from, v.valid_until
FROM visa AS v
WHERE v.passport_key = :person_key
ORDER BY document_kind, document_number;
