SELECT throttle_key, failures, first_failure_at, last_failure_at, locked_until
FROM login_throttle
WHERE throttle_key IN :keys;
