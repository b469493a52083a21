-- Stays of the merge's files (:ledger_ids) stored already, that a staged event (not a
-- CORRECTION, which may change the passport) reports under a passport no stored event of
-- the stay carries: perhaps another guest under the same report id. Judged by the merge
-- in landing order, with the stays' other events.
SELECT DISTINCT s.report_id
FROM stg_hotel_guest_event AS s
WHERE s.ledger_id IN :ledger_ids AND s.event <> 'CORRECTION'
  AND EXISTS (SELECT 1 FROM hotel_guest_event AS h WHERE h.report_id = s.report_id)
  AND NOT EXISTS (
      SELECT 1 FROM hotel_guest_event AS k
      WHERE k.report_id = s.report_id AND k.passport_key = s.passport_key
  );
