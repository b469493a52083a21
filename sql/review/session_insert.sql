INSERT INTO user_session (token_hash, username, csrf_token, created_at, expires_at, last_seen_at)
VALUES (:token_hash, :username, :csrf_token, :now, :expires_at, :now);
