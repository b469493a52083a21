-- Every row of these records, stored or staged by the merge's files: the merge judges, in
-- landing order, which contradict an earlier one at the same record_version.
SELECT
    'stored' AS origin, h.ledger_id, h.line_no, h.arrival_key, h.row_hash, h.permit_number AS record_key,
    h.record_version
FROM stay_permit_history AS h
WHERE h.permit_number IN :numbers
UNION ALL
SELECT
    'staged' AS origin, s.ledger_id, s.line_no, s.arrival_key, s.row_hash, s.permit_number AS record_key,
    s.record_version
FROM stg_stay_permit AS s
WHERE s.permit_number IN :numbers AND s.ledger_id IN :ledger_ids;
