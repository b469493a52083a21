-- Take the chain's next place: the row lock this takes lasts until the transaction ends,
-- so writers of the log chain their rows one after another.
UPDATE audit_chain SET seq = seq + 1 WHERE chain_id = 1
RETURNING seq, last_hash;
