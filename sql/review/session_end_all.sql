-- A password reset or a deactivation ends every session of the user.
DELETE FROM user_session WHERE username = :username;
