-- Files' staged rows once merged (or once its attempt is abandoned).
DELETE FROM stg_visa WHERE ledger_id IN :ledger_ids;
DELETE FROM stg_stay_permit WHERE ledger_id IN :ledger_ids;
DELETE FROM stg_hotel_guest_event WHERE ledger_id IN :ledger_ids;
