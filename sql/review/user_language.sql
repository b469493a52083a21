UPDATE app_user SET language = :language WHERE username = :username;
