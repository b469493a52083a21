-- The review queue: users with a role and a region scope, their sessions, comments on
-- flags, and the append-only audit log of every change and every view of personal data.

CREATE TABLE app_user (
    username      VARCHAR(60) PRIMARY KEY,
    display_name  VARCHAR(120) NOT NULL,
    password_hash VARCHAR(200) NOT NULL,
    role          VARCHAR(12) NOT NULL,
    -- A province (PP) or a regency/city (PP.KK): the user sees and changes nothing outside it.
    region_scope  VARCHAR(5) NOT NULL,
    language      VARCHAR(2) NOT NULL DEFAULT 'id',
    active        INTEGER NOT NULL DEFAULT 1,
    created_at    TIMESTAMP NOT NULL,
    CONSTRAINT ck_app_user_role CHECK (role IN ('reviewer', 'supervisor', 'analyst', 'admin')),
    CONSTRAINT ck_app_user_language CHECK (language IN ('id', 'en'))
);

-- Server-side sessions: the cookie holds a random token, the table its SHA-256, so a
-- leaked table does not hand out sessions. Each session has its own CSRF token.
CREATE TABLE user_session (
    token_hash VARCHAR(64) PRIMARY KEY,
    username   VARCHAR(60) NOT NULL,
    csrf_token VARCHAR(64) NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX ix_user_session_user ON user_session (username);

CREATE TABLE flag_comment (
    comment_id VARCHAR(32) PRIMARY KEY,
    flag_id    VARCHAR(20) NOT NULL,
    author     VARCHAR(60) NOT NULL,
    at         TIMESTAMP NOT NULL,
    body       TEXT NOT NULL
);
CREATE INDEX ix_flag_comment_flag ON flag_comment (flag_id, at);

CREATE TABLE audit_log (
    audit_id   VARCHAR(40) PRIMARY KEY,
    at         TIMESTAMP NOT NULL,
    actor      VARCHAR(60) NOT NULL,
    action     VARCHAR(30) NOT NULL,
    flag_id    VARCHAR(20),
    detail     TEXT NOT NULL
);
CREATE INDEX ix_audit_log_at ON audit_log (at);
CREATE INDEX ix_audit_log_flag ON audit_log (flag_id, at);

-- The queue's common orderings within a scope.
CREATE INDEX ix_flag_scope_priority ON flag (province_code, status, priority);
CREATE INDEX ix_flag_assignee ON flag (assignee);
