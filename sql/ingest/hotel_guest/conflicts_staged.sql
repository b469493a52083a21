-- Stays that carry more than one passport among the merge's staged events.
SELECT report_id
FROM stg_hotel_guest_event
WHERE ledger_id IN :ledger_ids
GROUP BY report_id
HAVING COUNT(DISTINCT passport_key) > 1;
