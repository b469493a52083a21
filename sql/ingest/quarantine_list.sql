-- Quarantine entries, by file then line; optionally of one file (landing key).
SELECT q.object_key, q.feed, q.ledger_id, l.object_version, q.line_no, q.scope, q.raw, q.reasons,
       q.quarantined_at
FROM quarantine AS q
INNER JOIN file_ledger AS l ON l.ledger_id = q.ledger_id
WHERE CAST(:object_key AS VARCHAR(1024)) IS NULL OR q.object_key = :object_key
ORDER BY q.object_key, l.object_version, q.line_no;
