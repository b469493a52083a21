UPDATE audit_chain SET seq = :seq, last_hash = :row_hash WHERE chain_id = 1;
