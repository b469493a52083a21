-- A staged row the merge quarantined (a conflicting record): it leaves the staging table.
DELETE FROM stg_visa WHERE ledger_id = :ledger_id AND line_no = :line_no;
DELETE FROM stg_stay_permit WHERE ledger_id = :ledger_id AND line_no = :line_no;
DELETE FROM stg_hotel_guest_event WHERE ledger_id = :ledger_id AND line_no = :line_no;
