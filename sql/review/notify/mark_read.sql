-- Read: one flag's notifications (opening the flag), or all of them (:flag_id NULL).
UPDATE notification SET read_at = :now
WHERE username = :username AND read_at IS NULL
  AND (CAST(:flag_id AS VARCHAR(20)) IS NULL OR flag_id = :flag_id);
