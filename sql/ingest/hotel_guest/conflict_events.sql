-- Every event of these stays, stored or staged by the merge's files, in landing order:
-- the merge judges which staged ones report a passport the stay never had.
SELECT 'stored' AS origin, h.ledger_id, h.line_no, h.arrival_key, h.report_id, h.event, h.passport_key,
       h.passport_number
FROM hotel_guest_event AS h
WHERE h.report_id IN :report_ids
UNION ALL
SELECT 'staged' AS origin, s.ledger_id, s.line_no, s.arrival_key, s.report_id, s.event, s.passport_key,
       s.passport_number
FROM stg_hotel_guest_event AS s
WHERE s.report_id IN :report_ids AND s.ledger_id IN :ledger_ids
ORDER BY arrival_key;
