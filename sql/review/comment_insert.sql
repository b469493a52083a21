INSERT INTO flag_comment (comment_id, flag_id, author, at, body)
VALUES (:comment_id, :flag_id, :username, :now, :body);
