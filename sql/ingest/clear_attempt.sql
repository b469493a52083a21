-- Leftovers of an interrupted attempt at one file: staged rows and quarantine entries.
DELETE FROM stg_visa WHERE ledger_id = :ledger_id;
DELETE FROM stg_stay_permit WHERE ledger_id = :ledger_id;
DELETE FROM stg_hotel_guest_event WHERE ledger_id = :ledger_id;
DELETE FROM quarantine WHERE ledger_id = :ledger_id;
