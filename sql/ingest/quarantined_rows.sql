SELECT COUNT(*) FROM quarantine WHERE ledger_id = :ledger_id AND scope = 'row';
