-- Records (visa_number) the merge's staged rows give one record_version with two contents.
SELECT visa_number
FROM stg_visa
WHERE ledger_id IN :ledger_ids
GROUP BY visa_number, record_version
HAVING COUNT(DISTINCT row_hash) > 1;
