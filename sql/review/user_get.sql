SELECT username, display_name, password_hash, role, region_scope, language, active
FROM app_user
WHERE username = :username;
