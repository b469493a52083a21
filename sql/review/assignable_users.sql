-- Who may be given a flag of this region (the reassign picker): active reviewers and
-- supervisors whose scope covers it.
SELECT u.username, u.display_name, u.role
FROM app_user AS u
WHERE u.active = 1 AND u.role IN ('reviewer', 'supervisor')
  AND (u.region_scope = :province_code OR u.region_scope = :region_code)
ORDER BY u.role DESC, u.username;
