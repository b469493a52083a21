SELECT COUNT(*) FROM notification WHERE username = :username AND read_at IS NULL;
