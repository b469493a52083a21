INSERT INTO audit_log (
    audit_id, at, actor, action, flag_id, detail, region_code, province_code, seq, prev_hash, row_hash
)
VALUES (
    :audit_id, :at, :actor, :action, :flag_id, :detail, :region_code, :province_code, :seq, :prev_hash,
    :row_hash
);
