-- Data that resolves a flag clears it with a note, unless a reviewer holds or closed it.
UPDATE flag
SET status = 'CLEARED', cleared_at = :now, clear_note = :note, updated_at = :now
WHERE flag_id IN :flag_ids AND status IN ('OPEN', 'REOPENED');
