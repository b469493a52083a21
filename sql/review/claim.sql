-- One statement decides a claim: under concurrent claims PostgreSQL re-checks the WHERE
-- clause after the first claimant commits, so exactly one UPDATE matches the row.
UPDATE flag
SET status = 'IN_REVIEW', assignee = :username, claimed_at = :now, updated_at = :now
WHERE flag_id = :flag_id
  AND status IN ('OPEN', 'REOPENED')
  AND assignee IS NULL
  AND (province_code = :scope OR region_code = :scope);
