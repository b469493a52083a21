-- The person's stays anywhere: those on the flag's passport and those an identity link
-- ties to the person (a guest who typed the passport differently).
SELECT
    s.report_id, s.status, s.lodging_id, s.lodging_name, s.lodging_region_code,
    s.check_in_local, s.check_out_local
FROM guest_stay AS s
WHERE s.passport_key = :person_key
   OR s.report_id IN (
        SELECT l.report_id FROM identity_link AS l
        WHERE l.person_key = :person_key AND l.verdict = 'LINKED')
ORDER BY s.check_in_local DESC, s.report_id
LIMIT 50;
