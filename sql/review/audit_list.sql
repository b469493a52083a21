-- The audit log of the admin's scope (a province, or a regency/city), newest first.
SELECT audit_id, at, actor, action, flag_id, region_code, province_code, detail, seq
FROM audit_log
WHERE (province_code = :scope OR region_code = :scope)
  AND (CAST(:actor AS VARCHAR(60)) IS NULL OR actor = :actor)
  AND (CAST(:flag_id AS VARCHAR(20)) IS NULL OR flag_id = :flag_id)
  AND (CAST(:action AS VARCHAR(30)) IS NULL OR action = :action)
  AND (CAST(:at_from AS TIMESTAMP) IS NULL OR at >= :at_from)
  AND (CAST(:at_until AS TIMESTAMP) IS NULL OR at < :at_until)
ORDER BY at DESC, audit_id DESC
LIMIT :limit OFFSET :offset;
