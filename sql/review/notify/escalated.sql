-- Flags that crossed their deadline in this run (their supervisors were just told) and
-- carry no ESCALATED event yet.
SELECT DISTINCT n.flag_id, f.severity, f.raised_at
FROM notification AS n
INNER JOIN flag AS f ON f.flag_id = n.flag_id
WHERE n.kind = 'OVERDUE' AND n.created_at = :now
  AND NOT EXISTS (SELECT 1 FROM flag_event AS e WHERE e.flag_id = n.flag_id AND e.kind = 'ESCALATED')
ORDER BY n.flag_id;
