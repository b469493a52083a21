UPDATE app_user
SET display_name = :display_name, password_hash = :password_hash, role = :role,
    region_scope = :region_scope, language = :language, active = 1, email = :email,
    notify_digest = :notify_digest
WHERE username = :username;
