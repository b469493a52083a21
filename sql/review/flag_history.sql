SELECT at, kind, actor, note FROM flag_event WHERE flag_id = :flag_id
UNION ALL
SELECT at, 'COMMENT' AS kind, author AS actor, body AS note FROM flag_comment WHERE flag_id = :flag_id
ORDER BY at, kind;
