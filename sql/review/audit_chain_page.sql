-- The chain in order, one page at a time, for `timpora audit verify`.
SELECT seq, audit_id, at, actor, action, flag_id, detail, region_code, province_code, prev_hash, row_hash
FROM audit_log
WHERE seq > :after
ORDER BY seq
LIMIT :limit;
