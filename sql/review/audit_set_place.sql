UPDATE audit_log
SET seq = :seq, prev_hash = :prev_hash, row_hash = :row_hash, region_code = :region_code,
    province_code = :province_code
WHERE audit_id = :audit_id;
