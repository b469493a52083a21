SELECT name, query FROM saved_view WHERE username = :username ORDER BY name;
