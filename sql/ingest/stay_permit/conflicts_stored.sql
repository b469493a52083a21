-- Records (permit_number) the merge's staged rows (:ledger_ids) give a record_version that is
-- stored already with other content: judged with their other rows, in landing order.
SELECT DISTINCT s.permit_number
FROM stg_stay_permit AS s
INNER JOIN stay_permit_history AS h
    ON s.permit_number = h.permit_number AND s.record_version = h.record_version AND s.row_hash <> h.row_hash
WHERE s.ledger_id IN :ledger_ids;
