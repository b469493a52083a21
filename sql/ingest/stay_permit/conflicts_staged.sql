-- Records (permit_number) the merge's staged rows give one record_version with two contents.
SELECT permit_number
FROM stg_stay_permit
WHERE ledger_id IN :ledger_ids
GROUP BY permit_number, record_version
HAVING COUNT(DISTINCT row_hash) > 1;
