-- Bookkeeping of applied migrations; created before any numbered migration runs.
CREATE TABLE IF NOT EXISTS schema_migration (
    version    INTEGER PRIMARY KEY,
    name       VARCHAR(200) NOT NULL,
    applied_at TIMESTAMP NOT NULL
);
