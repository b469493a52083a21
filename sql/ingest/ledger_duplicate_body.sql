-- Close a registered file as byte-identical to a processed one, without processing it:
-- all its rows count as exact duplicates. Only a REGISTERED entry moves.
UPDATE file_ledger
SET status = 'DUPLICATE_BODY',
    duplicate_of = :duplicate_of,
    rows_read = :rows_read,
    rows_loaded = 0,
    rows_quarantined = 0,
    rows_duplicate = :rows_read,
    note = :note,
    loaded_at = :loaded_at
WHERE ledger_id = :ledger_id AND status = 'REGISTERED';
