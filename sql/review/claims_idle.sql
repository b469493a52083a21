-- Claims with no action on their flag since :idle_before (no event, no comment): the
-- holder went away and the flag waits for nobody.
SELECT f.flag_id, f.assignee, f.claimed_at
FROM flag AS f
WHERE f.status = 'IN_REVIEW'
  AND f.claimed_at < :idle_before
  AND NOT EXISTS (SELECT 1 FROM flag_event AS e WHERE e.flag_id = f.flag_id AND e.at >= :idle_before)
  AND NOT EXISTS (SELECT 1 FROM flag_comment AS c WHERE c.flag_id = f.flag_id AND c.at >= :idle_before)
ORDER BY f.flag_id;
