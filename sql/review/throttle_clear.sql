-- A successful login clears its user name's failures (not its address's: one account's
-- success must not reset the count of tries at others from the same place).
DELETE FROM login_throttle WHERE throttle_key = :throttle_key;
