INSERT INTO saved_view (username, name, query, created_at) VALUES (:username, :name, :query, :now);
