UPDATE flag
SET status = 'IN_REVIEW', assignee = :assignee, claimed_at = :now, updated_at = :now
WHERE flag_id = :flag_id
  AND status IN ('OPEN', 'REOPENED', 'IN_REVIEW')
  AND (province_code = :scope OR region_code = :scope);
