-- The review app's privacy and access guarantees (see the README's security section).
--
-- The audit log is scoped by region like the flags: each row names the region it is
-- about (the flag's, else the acting user's scope), and an admin reads only the rows of
-- their own scope. Each row also carries its place in a hash chain: an HMAC, under a key
-- the database does not hold (TIMPORA_AUDIT_KEY), of the previous row's hash and its own
-- fields, so `timpora audit verify` detects a row changed, removed or slipped in even by
-- a database superuser who got past the triggers. The rows that exist now are chained by
-- the migration's data step, in the order they were written.
ALTER TABLE audit_log ADD COLUMN region_code VARCHAR(5); -- the regency/city (or province) the row is about
ALTER TABLE audit_log ADD COLUMN province_code VARCHAR(2); -- its province; NULL: no region (an unknown login)
ALTER TABLE audit_log ADD COLUMN seq BIGINT; -- position in the chain, from 1
ALTER TABLE audit_log ADD COLUMN prev_hash VARCHAR(64); -- row_hash of the row before (empty for the first)
ALTER TABLE audit_log ADD COLUMN row_hash VARCHAR(64); -- HMAC-SHA256 of prev_hash and this row's fields
CREATE UNIQUE INDEX ux_audit_log_seq ON audit_log (seq);
CREATE INDEX ix_audit_log_province ON audit_log (province_code, at);

-- The chain's head: every audit insert moves it in the same transaction, which also makes
-- writers of the log take their turn.
CREATE TABLE audit_chain (
    chain_id  INTEGER PRIMARY KEY,
    seq       BIGINT NOT NULL, -- rows in the chain
    last_hash VARCHAR(64) NOT NULL -- row_hash of the newest row
);
INSERT INTO audit_chain (chain_id, seq, last_hash) VALUES (1, 0, '');

-- Failed logins per user name and per client address: after a few, a growing wait
-- between tries; after more, a temporary lockout. A try refused here costs no password
-- hash, so throttling is no CPU lever either.
CREATE TABLE login_throttle (
    throttle_key     VARCHAR(120) PRIMARY KEY, -- user:<name> or addr:<client address>
    failures         INTEGER NOT NULL, -- failed tries since first_failure_at
    first_failure_at TIMESTAMP NOT NULL,
    last_failure_at  TIMESTAMP NOT NULL,
    locked_until     TIMESTAMP -- no try is judged before this time
);

-- A session also ends after a while unused (TIMPORA_SESSION_IDLE_MINUTES).
ALTER TABLE user_session ADD COLUMN last_seen_at TIMESTAMP; -- last request; NULL: the session is older than this
