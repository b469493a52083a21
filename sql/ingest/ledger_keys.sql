SELECT ledger_id, object_key FROM file_ledger WHERE ledger_id IN :ledger_ids;
