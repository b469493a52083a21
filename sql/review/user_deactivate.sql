UPDATE app_user SET active = 0 WHERE username = :username;
