INSERT INTO app_user (
    username, display_name, password_hash, role, region_scope, language, active, created_at, email,
    notify_digest
)
VALUES (
    :username, :display_name, :password_hash, :role, :region_scope, :language, 1, :now, :email,
    :notify_digest
);
