-- The visas of the people in scope whose documents changed (no one else's visa facts can
-- have changed), for fact_visa.
SELECT
    v.visa_number, v.passport_key AS person_key, v.visa_index, v.status, v.purpose, v.sponsor_type,
    v.issued_at, v.valid_until
FROM visa AS v
INNER JOIN reconcile_scope AS sc ON sc.person_key = v.passport_key AND sc.documents_changed = 1;
