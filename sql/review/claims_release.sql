-- Release the idle claims claims_idle found, unless one was taken again meanwhile.
UPDATE flag
SET status = 'OPEN', assignee = NULL, claimed_at = NULL, updated_at = :now
WHERE flag_id IN :flag_ids AND status = 'IN_REVIEW' AND claimed_at < :idle_before;
