-- Migration 0013's data step: the rows written before the chain, oldest first, with the
-- region each is about (its flag's, else its actor's scope).
SELECT
    a.audit_id, a.at, a.actor, a.action, a.flag_id, a.detail,
    COALESCE(f.region_code, u.region_scope) AS region_code,
    COALESCE(f.province_code, SUBSTR(u.region_scope, 1, 2)) AS province_code
FROM audit_log AS a
LEFT JOIN flag AS f ON a.flag_id = f.flag_id
LEFT JOIN app_user AS u ON a.actor = u.username
ORDER BY a.at, a.audit_id;
