INSERT INTO flag_event (event_id, flag_id, at, kind, actor, note)
VALUES (:event_id, :flag_id, :now, :kind, :username, :note);
