-- The reviewer's workbench: e-mail addresses for notifications, saved queue filters, and
-- the notifications themselves (shown in the app, e-mailed once, or in a digest).
ALTER TABLE app_user ADD COLUMN email VARCHAR(254); -- where notifications go; NULL: in the app only
ALTER TABLE app_user ADD COLUMN notify_digest INTEGER NOT NULL DEFAULT 0; -- 1: one e-mail per run, not one per flag

-- A reviewer's named queue filters (the query string of the queue page).
CREATE TABLE saved_view (
    username   VARCHAR(60) NOT NULL, -- whose
    name       VARCHAR(60) NOT NULL, -- as the reviewer called it
    query      VARCHAR(2000) NOT NULL, -- the queue page's query string
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (username, name)
);

-- What a reviewer or supervisor is told about a flag: a new HIGH flag or a flag in a
-- monitoring window (the region's reviewers), a deadline passed (its supervisors). One
-- row per person, flag and kind, so a rerun tells nobody twice.
CREATE TABLE notification (
    username        VARCHAR(60) NOT NULL, -- who is told
    flag_id         VARCHAR(20) NOT NULL, -- about which flag
    kind            VARCHAR(12) NOT NULL, -- NEW_HIGH, WINDOW or OVERDUE
    created_at      TIMESTAMP NOT NULL,
    emailed_at      TIMESTAMP, -- when the e-mail (or the digest holding it) went; NULL: not (yet)
    read_at         TIMESTAMP, -- when the person opened it in the app
    PRIMARY KEY (username, flag_id, kind),
    CONSTRAINT ck_notification_kind CHECK (kind IN ('NEW_HIGH', 'WINDOW', 'OVERDUE'))
);
CREATE INDEX ix_notification_flag ON notification (flag_id);
CREATE INDEX ix_notification_unsent ON notification (emailed_at);
