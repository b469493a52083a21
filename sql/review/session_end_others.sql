-- A user's own password change ends their other sessions; the one they changed it in stays.
DELETE FROM user_session WHERE username = :username AND token_hash <> :keep;
