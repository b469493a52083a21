INSERT INTO audit_log (audit_id, at, actor, action, flag_id, detail)
VALUES (:audit_id, :now, :username, :action, :flag_id, :detail);
