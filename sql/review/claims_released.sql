SELECT flag_id FROM flag
WHERE flag_id IN :flag_ids AND status = 'OPEN' AND assignee IS NULL AND updated_at = :now;
