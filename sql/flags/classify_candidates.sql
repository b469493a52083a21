-- How each candidate of this run relates to the flag already stored under its identity.
SELECT
    c.flag_id,
    f.status AS current_status,
    CASE
        WHEN f.flag_id IS NULL THEN 'NEW'
        WHEN f.evidence_hash = c.evidence_hash AND f.status <> 'CLEARED' THEN 'SAME'
        ELSE 'CHANGED'
    END AS change,
    CASE WHEN c.material_hash = COALESCE(f.material_hash, '') THEN 0 ELSE 1 END AS material_change
FROM flag_candidate AS c
LEFT JOIN flag AS f ON f.flag_id = c.flag_id;
