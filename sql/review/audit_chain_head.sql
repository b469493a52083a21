SELECT seq, last_hash FROM audit_chain WHERE chain_id = 1;
