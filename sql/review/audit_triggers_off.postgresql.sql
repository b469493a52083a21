-- Only the owner can: migrations lift the append-only trigger for their own data step.
ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change;
