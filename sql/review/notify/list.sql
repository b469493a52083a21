-- A user's notifications in the app, newest first, with the flag's rule and region.
SELECT n.flag_id, n.kind, n.created_at, n.read_at, f.rule_code, f.severity, f.region_code, f.status
FROM notification AS n
INNER JOIN flag AS f ON f.flag_id = n.flag_id
WHERE n.username = :username
ORDER BY n.created_at DESC, n.flag_id
LIMIT 100;
