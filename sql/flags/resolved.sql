-- Flags of people in scope, of the rules evaluated, that this run no longer raises.
SELECT f.flag_id, f.status, f.rule_code
FROM flag AS f
INNER JOIN reconcile_scope AS sc ON sc.person_key = f.person_key
WHERE f.rule_code IN :rule_codes
  AND f.status <> 'CLEARED'
  AND NOT EXISTS (SELECT 1 FROM flag_candidate AS c WHERE c.flag_id = f.flag_id);
