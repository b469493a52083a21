-- A live session and its user: not past its end, not idle too long, of an active user.
SELECT u.username, u.display_name, u.role, u.region_scope, u.language, s.csrf_token, s.expires_at,
       s.last_seen_at, r.timezone
FROM user_session AS s
INNER JOIN app_user AS u ON u.username = s.username
INNER JOIN region AS r ON r.region_code = SUBSTR(u.region_scope, 1, 2)
WHERE s.token_hash = :token_hash AND s.expires_at > :now AND u.active = 1
  AND COALESCE(s.last_seen_at, s.created_at) > :idle_since;
