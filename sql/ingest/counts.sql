-- Per file of a merge: rows staged, rows the merge kept (the rest were exact duplicates)
-- and rows quarantined, for the conservation check. A file's rows are in its own feed's
-- tables only; the others count none (an index probe each).
SELECT
    l.ledger_id,
    (SELECT COUNT(*) FROM stg_visa AS s WHERE s.ledger_id = l.ledger_id)
    + (SELECT COUNT(*) FROM stg_stay_permit AS s WHERE s.ledger_id = l.ledger_id)
    + (SELECT COUNT(*) FROM stg_hotel_guest_event AS s WHERE s.ledger_id = l.ledger_id) AS staged,
    (SELECT COUNT(*) FROM visa_history AS h WHERE h.ledger_id = l.ledger_id)
    + (SELECT COUNT(*) FROM stay_permit_history AS h WHERE h.ledger_id = l.ledger_id)
    + (SELECT COUNT(*) FROM hotel_guest_event AS h WHERE h.ledger_id = l.ledger_id) AS loaded,
    (SELECT COUNT(*) FROM quarantine AS q WHERE q.ledger_id = l.ledger_id AND q.scope = 'row') AS quarantined
FROM file_ledger AS l
WHERE l.ledger_id IN :ledger_ids;
