DELETE FROM saved_view WHERE username = :username AND name = :name;
