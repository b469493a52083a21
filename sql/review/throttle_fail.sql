-- One more failed login for a user name or client address, counted in one statement (so
-- tries at the same moment all count): a failure after the window starts a new count,
-- and reaching the key's limit within the window locks the key.
INSERT INTO login_throttle (throttle_key, failures, first_failure_at, last_failure_at, locked_until)
VALUES (:throttle_key, 1, :now, :now, NULL)
ON CONFLICT (throttle_key) DO UPDATE SET
    failures = CASE
        WHEN login_throttle.first_failure_at < :window_start THEN 1 ELSE login_throttle.failures + 1
    END,
    first_failure_at = CASE
        WHEN login_throttle.first_failure_at < :window_start THEN :now ELSE login_throttle.first_failure_at
    END,
    last_failure_at = :now,
    locked_until = CASE
        WHEN login_throttle.first_failure_at >= :window_start AND login_throttle.failures + 1 >= :lock_after
            THEN :locked_until
        ELSE login_throttle.locked_until
    END;
