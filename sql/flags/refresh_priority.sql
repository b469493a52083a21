-- Priority moves with the as-of date (age) even when the evidence does not.
UPDATE flag
SET priority = c.priority
FROM flag_candidate AS c
WHERE c.flag_id = flag.flag_id AND c.priority <> flag.priority;
