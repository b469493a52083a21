-- A stored lodging event that an event landed before it contradicts: it leaves the
-- history for the quarantine (the merge folds the stay again after).
DELETE FROM hotel_guest_event WHERE ledger_id = :ledger_id AND line_no = :line_no;
