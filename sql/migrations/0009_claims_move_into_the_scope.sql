-- A reconcile run used to claim the dirty marks by stamping them with its id, copy the
-- claimed ones into its scope, and at the end delete them one by one: on a national day
-- 200,000 marks written three times, 6-8 s before and after the run's real work. Claims
-- now move: the claim deletes the marks it takes and inserts them into the scope
-- (reason MARKED) in one statement, and the run releases them by emptying the scope.
-- The marks carry over as they are; a claim a run left on a mark becomes a plain mark.
CREATE TABLE reconcile_dirty_held AS SELECT person_key FROM reconcile_dirty;
DROP TABLE reconcile_dirty;

-- People whose records changed since a reconcile last took them (by passport linking
-- key). A reconcile run takes every mark into its scope; a mark an ingest writes while
-- the run is under way, or was writing when the run took the others, is here for the next
-- run.
CREATE TABLE reconcile_dirty (
    person_key VARCHAR(9) PRIMARY KEY,
    marked_by  VARCHAR(32)  -- ledger id of the file whose merge marked the person last
);
INSERT INTO reconcile_dirty (person_key) SELECT person_key FROM reconcile_dirty_held;
DROP TABLE reconcile_dirty_held;

-- Its rows meant nothing outside a run (the claims were on the marks).
DROP TABLE reconcile_scope;

-- The people a reconcile run examines, and why. The MARKED rows are the run's claims: a
-- run that fails leaves them here and the next run takes them over; the run that
-- completes empties the table when its flags commit.
CREATE TABLE reconcile_scope (
    person_key VARCHAR(9) PRIMARY KEY,
    run_id     VARCHAR(40) NOT NULL,  -- the run examining the person
    reason     VARCHAR(9) NOT NULL,  -- MARKED (a claimed dirty mark), OPEN_STAY (the as-of date moved), EVERYONE
    CONSTRAINT ck_reconcile_scope_reason CHECK (reason IN ('MARKED', 'OPEN_STAY', 'EVERYONE'))
);
