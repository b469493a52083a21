-- One page of the flags whose evidence may hold a run's disagreements (migration 0012),
-- in flag order after the last one read: memory stays bounded however many there are.
SELECT flag_id, evidence
FROM flag
WHERE rule_code IN :rule_codes AND flag_id > :after
ORDER BY flag_id
LIMIT :page_rows
