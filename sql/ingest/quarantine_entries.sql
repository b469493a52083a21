-- Quarantine entries of a file, of either scope: a refused object's one entry is written once.
SELECT COUNT(*) FROM quarantine WHERE ledger_id = :ledger_id;
