-- Leftovers of an interrupted attempt at files (:ledger_ids): staged rows and quarantine entries.
DELETE FROM stg_visa WHERE ledger_id IN :ledger_ids;
DELETE FROM stg_stay_permit WHERE ledger_id IN :ledger_ids;
DELETE FROM stg_hotel_guest_event WHERE ledger_id IN :ledger_ids;
DELETE FROM quarantine WHERE ledger_id IN :ledger_ids;
