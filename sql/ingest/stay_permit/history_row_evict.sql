-- A stored row that a record landed before it contradicts: it leaves the history for the
-- quarantine (the merge recomputes the record's current state after).
DELETE FROM stay_permit_history WHERE ledger_id = :ledger_id AND line_no = :line_no;
