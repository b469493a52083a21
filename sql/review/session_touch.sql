UPDATE user_session SET last_seen_at = :now WHERE token_hash = :token_hash;
