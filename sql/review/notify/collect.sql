-- Tell the region's people about flags once: for each open flag the kind's condition
-- picks, one row per active user of the given roles whose scope covers the flag and who
-- has not been told of it in this kind. :kind decides the condition:
--   NEW_HIGH  HIGH flags not yet claimed, raised since :raised_after
--   WINDOW    flags whose nights overlap the window (:window_from..:window_until) in its regions
--   OVERDUE   flags past their deadline (raised before the severity's :*_due_before)
INSERT INTO notification (username, flag_id, kind, created_at)
SELECT u.username, f.flag_id, CAST(:kind AS VARCHAR(12)), :now
FROM flag AS f
INNER JOIN app_user AS u
    ON (u.region_scope = f.province_code OR u.region_scope = f.region_code)
WHERE u.active = 1
  AND u.role IN :user_roles
  AND f.status IN ('OPEN', 'REOPENED', 'IN_REVIEW')
  AND (
        (CAST(:kind AS VARCHAR(12)) = 'NEW_HIGH' AND f.severity = 'HIGH' AND f.status IN ('OPEN', 'REOPENED')
            AND f.raised_at >= :raised_after)
        OR (CAST(:kind AS VARCHAR(12)) = 'WINDOW' AND f.first_night <= :window_until
            AND COALESCE(f.last_night, f.first_night) >= :window_from
            AND (f.province_code IN :window_regions OR f.region_code IN :window_regions)
            AND f.raised_at >= :raised_after)
        OR (CAST(:kind AS VARCHAR(12)) = 'OVERDUE' AND (
            (f.severity = 'HIGH' AND f.raised_at < :high_due_before)
            OR (f.severity = 'MEDIUM' AND f.raised_at < :medium_due_before)
            OR (f.severity = 'LOW' AND f.raised_at < :low_due_before)))
      )
  AND NOT EXISTS (
        SELECT 1 FROM notification AS n
        WHERE n.username = u.username AND n.flag_id = f.flag_id AND n.kind = CAST(:kind AS VARCHAR(12)));
