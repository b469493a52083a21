SELECT audit_id, at, actor, action, flag_id, detail
FROM audit_log
WHERE (CAST(:actor AS VARCHAR(60)) IS NULL OR actor = :actor)
  AND (CAST(:flag_id AS VARCHAR(20)) IS NULL OR flag_id = :flag_id)
ORDER BY at DESC, audit_id DESC
LIMIT :limit OFFSET :offset;
