-- Every row of these records, stored or staged by the merge's files: the merge judges, in
-- landing order, which contradict an earlier one at the same record_version.
SELECT
    'stored' AS origin, h.ledger_id, h.line_no, h.arrival_key, h.row_hash, h.visa_number AS record_key,
    h.record_version
FROM visa_history AS h
WHERE h.visa_number IN :numbers
UNION ALL
SELECT
    'staged' AS origin, s.ledger_id, s.line_no, s.arrival_key, s.row_hash, s.visa_number AS record_key,
    s.record_version
FROM stg_visa AS s
WHERE s.visa_number IN :numbers AND s.ledger_id IN :ledger_ids;
