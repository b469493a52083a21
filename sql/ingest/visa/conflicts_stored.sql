-- Records (visa_number) the merge's staged rows (:ledger_ids) give a record_version that is
-- stored already with other content: judged with their other rows, in landing order.
SELECT DISTINCT s.visa_number
FROM stg_visa AS s
INNER JOIN visa_history AS h
    ON s.visa_number = h.visa_number AND s.record_version = h.record_version AND s.row_hash <> h.row_hash
WHERE s.ledger_id IN :ledger_ids;
