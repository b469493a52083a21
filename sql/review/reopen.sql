UPDATE flag
SET status = 'REOPENED', disposition = NULL, closed_at = NULL, closed_by = NULL,
    assignee = NULL, claimed_at = NULL, updated_at = :now
WHERE flag_id = :flag_id
  AND status = 'CLOSED'
  AND (province_code = :scope OR region_code = :scope);
