-- Notifications not yet e-mailed, to people with an address: what the e-mail says
-- (nothing personal: rule, severity, region, the flag's id and a link).
SELECT n.username, n.flag_id, n.kind, n.created_at, u.email, u.language, u.notify_digest,
       f.rule_code, f.severity, f.region_code
FROM notification AS n
INNER JOIN app_user AS u ON u.username = n.username
INNER JOIN flag AS f ON f.flag_id = n.flag_id
WHERE n.emailed_at IS NULL AND u.email IS NOT NULL AND u.active = 1
ORDER BY n.username, n.created_at, n.flag_id;
