DELETE FROM user_session WHERE token_hash = :token_hash OR expires_at <= :now;
