-- Who may hold a flag of this region: an active reviewer or supervisor whose scope covers it.
SELECT u.username
FROM app_user AS u
WHERE u.username = :assignee AND u.active = 1 AND u.role IN ('reviewer', 'supervisor')
  AND (u.region_scope = :province_code OR u.region_scope = :region_code);
