UPDATE flag
SET status = 'OPEN', assignee = NULL, claimed_at = NULL, updated_at = :now
WHERE flag_id = :flag_id
  AND status = 'IN_REVIEW'
  AND (assignee = :username OR CAST(:any_holder AS INTEGER) = 1)
  AND (province_code = :scope OR region_code = :scope);
