-- Rows no chain place was given: none but those written before migration 0013 (chained
-- by its data step), or rows a hand inserted past the app.
SELECT COUNT(*) FROM audit_log WHERE seq IS NULL;
