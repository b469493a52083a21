UPDATE notification SET emailed_at = :now
WHERE username = :username AND flag_id IN :flag_ids AND emailed_at IS NULL;
