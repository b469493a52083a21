SELECT username, display_name, role, region_scope, language, active FROM app_user ORDER BY username;
