ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_change;
