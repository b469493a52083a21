-- Staged rows are a file's rows between parsing and its merge, and the touched-stay list
-- lives only inside one merge's transaction: neither is ever read after a crash. A file
-- whose merge has not committed is still REGISTERED in the ledger, and its next attempt
-- clears its leftovers and reads the file again from the first line. So these tables
-- need no write-ahead log: PostgreSQL empties an unlogged table after a crash, which is
-- the state the retry starts from anyway, and a national day's staging no longer writes
-- its 270,000 rows (and deletes them) twice, once to the table and once to the log.
-- Replicas do not get these tables' rows; nobody queries staging on a replica.
ALTER TABLE stg_visa SET UNLOGGED;
ALTER TABLE stg_stay_permit SET UNLOGGED;
ALTER TABLE stg_hotel_guest_event SET UNLOGGED;
ALTER TABLE merge_touched_report SET UNLOGGED;
