-- Closing needs the claim, or a supervisor: one nobody holds, or (with the override) one
-- someone else holds. Always within the closer's scope.
UPDATE flag
SET status = 'CLOSED', disposition = :disposition, close_note = :note, closed_at = :now,
    closed_by = :username, assignee = NULL, updated_at = :now
WHERE flag_id IN :flag_ids
  AND (
        (status = 'IN_REVIEW' AND (assignee = :username OR CAST(:override AS INTEGER) = 1))
        OR (CAST(:any_holder AS INTEGER) = 1 AND status IN ('OPEN', 'REOPENED'))
      )
  AND (province_code = :scope OR region_code = :scope);
