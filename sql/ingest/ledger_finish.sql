-- Close a file's processing; only a REGISTERED entry moves, so a second finisher changes nothing.
UPDATE file_ledger
SET status = :status,
    encoding = :encoding,
    rows_read = :rows_read,
    rows_loaded = :rows_loaded,
    rows_quarantined = :rows_quarantined,
    rows_duplicate = :rows_duplicate,
    blank_lines = :blank_lines,
    note = :note,
    loaded_at = :loaded_at
WHERE ledger_id = :ledger_id AND status = 'REGISTERED';
