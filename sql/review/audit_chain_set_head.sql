UPDATE audit_chain SET last_hash = :row_hash WHERE chain_id = 1 AND seq = :seq;
