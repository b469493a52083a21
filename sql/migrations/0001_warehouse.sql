-- Warehouse core: reference data, file ledger, quarantine, the three feeds (history and
-- current), folded guest stays and nights, reconcile bookkeeping, flags.
--
-- One file for SQLite and PostgreSQL: portable types only. All timestamps are UTC unless
-- the column name ends in _local (the lodging's wall clock). Times the rules subtract
-- also come as *_epoch (seconds) and dates as day numbers, so rule SQL needs no
-- dialect-specific date arithmetic.

CREATE TABLE region (
    region_code   VARCHAR(5) PRIMARY KEY,
    name          VARCHAR(100) NOT NULL,
    level         VARCHAR(10) NOT NULL,
    province_code VARCHAR(2) NOT NULL,
    timezone      VARCHAR(40) NOT NULL
);

CREATE TABLE calendar_day (
    day        DATE PRIMARY KEY,
    day_number INTEGER NOT NULL UNIQUE
);

CREATE TABLE file_ledger (
    ledger_id        VARCHAR(32) PRIMARY KEY,
    feed             VARCHAR(20) NOT NULL,
    object_key       VARCHAR(1024) NOT NULL,
    object_version   INTEGER NOT NULL,
    content_sha256   VARCHAR(64) NOT NULL,
    size_bytes       BIGINT NOT NULL,
    source_etag      VARCHAR(200),
    landing_date     DATE,
    status           VARCHAR(20) NOT NULL,
    duplicate_of     VARCHAR(32),
    encoding         VARCHAR(20),
    rows_read        INTEGER,
    rows_loaded      INTEGER,
    rows_quarantined INTEGER,
    rows_duplicate   INTEGER,
    blank_lines      INTEGER,
    note             TEXT,
    registered_at    TIMESTAMP NOT NULL,
    loaded_at        TIMESTAMP,
    CONSTRAINT uq_file_ledger_key_body UNIQUE (object_key, content_sha256),
    -- Two workers racing to register two bodies of one key: the loser's task retries.
    CONSTRAINT uq_file_ledger_key_version UNIQUE (object_key, object_version),
    CONSTRAINT ck_file_ledger_status CHECK (
        status IN ('REGISTERED', 'LOADED', 'DUPLICATE_BODY', 'REJECTED')
    )
);
CREATE INDEX ix_file_ledger_body ON file_ledger (content_sha256);
CREATE INDEX ix_file_ledger_feed_status ON file_ledger (feed, status);

CREATE TABLE quarantine (
    ledger_id      VARCHAR(32) NOT NULL,
    line_no        INTEGER NOT NULL,
    feed           VARCHAR(20) NOT NULL,
    object_key     VARCHAR(1024) NOT NULL,
    scope          VARCHAR(4) NOT NULL,
    raw            TEXT,
    reasons        TEXT NOT NULL,
    quarantined_at TIMESTAMP NOT NULL,
    PRIMARY KEY (ledger_id, line_no),
    CONSTRAINT ck_quarantine_scope CHECK (scope IN ('row', 'file'))
);
CREATE INDEX ix_quarantine_key ON quarantine (object_key);

-- visa ------------------------------------------------------------------------------

CREATE TABLE visa_history (
    ledger_id        VARCHAR(32) NOT NULL,
    line_no          INTEGER NOT NULL,
    row_hash         VARCHAR(32) NOT NULL,
    arrival_key      VARCHAR(1100) NOT NULL,
    visa_number      VARCHAR(20) NOT NULL,
    record_version   INTEGER NOT NULL,
    visa_index       VARCHAR(10) NOT NULL,
    status           VARCHAR(10) NOT NULL,
    passport_number  VARCHAR(9) NOT NULL,
    passport_key     VARCHAR(9) NOT NULL,
    passport_country VARCHAR(3) NOT NULL,
    nationality      VARCHAR(3) NOT NULL,
    surname          VARCHAR(100) NOT NULL,
    given_names      VARCHAR(100),
    date_of_birth    DATE NOT NULL,
    sex              VARCHAR(1) NOT NULL,
    purpose          VARCHAR(20) NOT NULL,
    sponsor_name     VARCHAR(200),
    sponsor_type     VARCHAR(20),
    issued_at        TIMESTAMP NOT NULL,
    valid_until      DATE NOT NULL,
    max_stay_days    INTEGER NOT NULL,
    PRIMARY KEY (ledger_id, line_no),
    CONSTRAINT uq_visa_history_row UNIQUE (row_hash)
);
CREATE INDEX ix_visa_history_number ON visa_history (visa_number);

CREATE TABLE stg_visa AS SELECT * FROM visa_history WHERE 1 = 0;
CREATE INDEX ix_stg_visa_ledger ON stg_visa (ledger_id);

CREATE TABLE visa (
    visa_number      VARCHAR(20) PRIMARY KEY,
    record_version   INTEGER NOT NULL,
    visa_index       VARCHAR(10) NOT NULL,
    status           VARCHAR(10) NOT NULL,
    passport_number  VARCHAR(9) NOT NULL,
    passport_key     VARCHAR(9) NOT NULL,
    passport_country VARCHAR(3) NOT NULL,
    nationality      VARCHAR(3) NOT NULL,
    surname          VARCHAR(100) NOT NULL,
    given_names      VARCHAR(100),
    date_of_birth    DATE NOT NULL,
    sex              VARCHAR(1) NOT NULL,
    purpose          VARCHAR(20) NOT NULL,
    sponsor_name     VARCHAR(200),
    sponsor_type     VARCHAR(20),
    issued_at        TIMESTAMP NOT NULL,
    valid_until      DATE NOT NULL,
    max_stay_days    INTEGER NOT NULL,
    ledger_id        VARCHAR(32) NOT NULL,
    line_no          INTEGER NOT NULL,
    row_hash         VARCHAR(32) NOT NULL
);
CREATE INDEX ix_visa_passport_key ON visa (passport_key);

-- stay_permit -------------------------------------------------------------------------

CREATE TABLE stay_permit_history (
    ledger_id       VARCHAR(32) NOT NULL,
    line_no         INTEGER NOT NULL,
    row_hash        VARCHAR(32) NOT NULL,
    arrival_key     VARCHAR(1100) NOT NULL,
    permit_number   VARCHAR(30) NOT NULL,
    record_version  INTEGER NOT NULL,
    permit_type     VARCHAR(4) NOT NULL,
    status          VARCHAR(10) NOT NULL,
    visa_number     VARCHAR(20),
    passport_number VARCHAR(9) NOT NULL,
    passport_key    VARCHAR(9) NOT NULL,
    nationality     VARCHAR(3) NOT NULL,
    surname         VARCHAR(100) NOT NULL,
    given_names     VARCHAR(100),
    date_of_birth   DATE NOT NULL,
    sex             VARCHAR(1) NOT NULL,
    activity        VARCHAR(20) NOT NULL,
    sponsor_name    VARCHAR(200),
    sponsor_type    VARCHAR(20),
    region_code     VARCHAR(5) NOT NULL,
    address         VARCHAR(300),
    valid_from      DATE NOT NULL,
    valid_until     DATE NOT NULL,
    office_code     VARCHAR(30) NOT NULL,
    updated_at      TIMESTAMP NOT NULL,
    PRIMARY KEY (ledger_id, line_no),
    CONSTRAINT uq_stay_permit_history_row UNIQUE (row_hash)
);
CREATE INDEX ix_stay_permit_history_number ON stay_permit_history (permit_number);

CREATE TABLE stg_stay_permit AS SELECT * FROM stay_permit_history WHERE 1 = 0;
CREATE INDEX ix_stg_stay_permit_ledger ON stg_stay_permit (ledger_id);

CREATE TABLE stay_permit (
    permit_number   VARCHAR(30) PRIMARY KEY,
    record_version  INTEGER NOT NULL,
    permit_type     VARCHAR(4) NOT NULL,
    status          VARCHAR(10) NOT NULL,
    visa_number     VARCHAR(20),
    passport_number VARCHAR(9) NOT NULL,
    passport_key    VARCHAR(9) NOT NULL,
    nationality     VARCHAR(3) NOT NULL,
    surname         VARCHAR(100) NOT NULL,
    given_names     VARCHAR(100),
    date_of_birth   DATE NOT NULL,
    sex             VARCHAR(1) NOT NULL,
    activity        VARCHAR(20) NOT NULL,
    sponsor_name    VARCHAR(200),
    sponsor_type    VARCHAR(20),
    region_code     VARCHAR(5) NOT NULL,
    address         VARCHAR(300),
    valid_from      DATE NOT NULL,
    valid_until     DATE NOT NULL,
    office_code     VARCHAR(30) NOT NULL,
    updated_at      TIMESTAMP NOT NULL,
    ledger_id       VARCHAR(32) NOT NULL,
    line_no         INTEGER NOT NULL,
    row_hash        VARCHAR(32) NOT NULL
);
CREATE INDEX ix_stay_permit_passport_key ON stay_permit (passport_key);

-- hotel_guest -------------------------------------------------------------------------

CREATE TABLE hotel_guest_event (
    ledger_id           VARCHAR(32) NOT NULL,
    line_no             INTEGER NOT NULL,
    row_hash            VARCHAR(32) NOT NULL,
    arrival_key         VARCHAR(1100) NOT NULL,
    report_id           VARCHAR(60) NOT NULL,
    event               VARCHAR(12) NOT NULL,
    lodging_id          VARCHAR(40) NOT NULL,
    lodging_name        VARCHAR(200) NOT NULL,
    lodging_region_code VARCHAR(5) NOT NULL,
    guest_surname       VARCHAR(100) NOT NULL,
    guest_given_names   VARCHAR(100),
    sex                 VARCHAR(1) NOT NULL,
    date_of_birth       DATE NOT NULL,
    nationality         VARCHAR(3) NOT NULL,
    nationality_raw     VARCHAR(100) NOT NULL,
    passport_number     VARCHAR(9) NOT NULL,
    passport_number_raw VARCHAR(40) NOT NULL,
    passport_key        VARCHAR(9) NOT NULL,
    passport_expiry     DATE,
    check_in_local      TIMESTAMP NOT NULL,
    check_in_utc        TIMESTAMP NOT NULL,
    check_in_epoch      BIGINT NOT NULL,
    check_in_date       DATE NOT NULL,
    check_out_local     TIMESTAMP,
    check_out_utc       TIMESTAMP,
    check_out_epoch     BIGINT,
    check_out_date      DATE,
    room                VARCHAR(50),
    occupation          VARCHAR(200),
    purpose_of_visit    VARCHAR(200),
    reported_at_local   TIMESTAMP NOT NULL,
    reported_at_utc     TIMESTAMP NOT NULL,
    reported_at_epoch   BIGINT NOT NULL,
    mrz_line1           VARCHAR(44),
    mrz_line2           VARCHAR(44),
    PRIMARY KEY (ledger_id, line_no),
    CONSTRAINT uq_hotel_guest_event_row UNIQUE (row_hash)
);
CREATE INDEX ix_hotel_guest_event_report ON hotel_guest_event (report_id);

CREATE TABLE stg_hotel_guest_event AS SELECT * FROM hotel_guest_event WHERE 1 = 0;
CREATE INDEX ix_stg_hotel_guest_event_ledger ON stg_hotel_guest_event (ledger_id);

-- The stays one file's merge touches, so the fold reads each of them once.
CREATE TABLE merge_touched_report (
    ledger_id VARCHAR(32) NOT NULL,
    report_id VARCHAR(60) NOT NULL,
    PRIMARY KEY (ledger_id, report_id)
);

-- A stay folded from its events: its fields come from the latest CORRECTION when it has
-- one (a later CHECK_OUT repeating the values as first typed does not undo it), else from
-- the latest non-cancel event by report time; any CANCEL voids it; check-out comes from
-- the latest event that carries one. check_in_reported_* is the first CHECK_IN report, for
-- LATE_REPORT; it stays empty when only later events were received.
CREATE TABLE guest_stay (
    report_id                VARCHAR(60) PRIMARY KEY,
    status                   VARCHAR(10) NOT NULL,
    lodging_id               VARCHAR(40) NOT NULL,
    lodging_name             VARCHAR(200) NOT NULL,
    lodging_region_code      VARCHAR(5) NOT NULL,
    guest_surname            VARCHAR(100) NOT NULL,
    guest_given_names        VARCHAR(100),
    sex                      VARCHAR(1) NOT NULL,
    date_of_birth            DATE NOT NULL,
    nationality              VARCHAR(3) NOT NULL,
    nationality_raw          VARCHAR(100) NOT NULL,
    passport_number          VARCHAR(9) NOT NULL,
    passport_number_raw      VARCHAR(40) NOT NULL,
    passport_key             VARCHAR(9) NOT NULL,
    passport_expiry          DATE,
    check_in_local           TIMESTAMP NOT NULL,
    check_in_utc             TIMESTAMP NOT NULL,
    check_in_epoch           BIGINT NOT NULL,
    check_in_date            DATE NOT NULL,
    check_out_local          TIMESTAMP,
    check_out_utc            TIMESTAMP,
    check_out_epoch          BIGINT,
    check_out_date           DATE,
    room                     VARCHAR(50),
    occupation               VARCHAR(200),
    purpose_of_visit         VARCHAR(200),
    mrz_line1                VARCHAR(44),
    mrz_line2                VARCHAR(44),
    check_in_reported_local  TIMESTAMP,
    check_in_reported_epoch  BIGINT,
    last_event               VARCHAR(12) NOT NULL,
    event_count              INTEGER NOT NULL,
    source_ledger_id         VARCHAR(32) NOT NULL,
    source_line_no           INTEGER NOT NULL,
    source_row_hash          VARCHAR(32) NOT NULL,
    CONSTRAINT ck_guest_stay_status CHECK (status IN ('OPEN', 'CLOSED', 'CANCELLED'))
);
CREATE INDEX ix_guest_stay_passport_key ON guest_stay (passport_key);
CREATE INDEX ix_guest_stay_open ON guest_stay (status);

-- One row per night of a stay, named by the lodging's local date on which it begins.
CREATE TABLE guest_night (
    report_id           VARCHAR(60) NOT NULL,
    night_date          DATE NOT NULL,
    night_number        INTEGER NOT NULL,
    passport_key        VARCHAR(9) NOT NULL,
    nationality         VARCHAR(3) NOT NULL,
    lodging_id          VARCHAR(40) NOT NULL,
    lodging_region_code VARCHAR(5) NOT NULL,
    PRIMARY KEY (report_id, night_date)
);
CREATE INDEX ix_guest_night_person ON guest_night (passport_key, night_date);

-- reconcile bookkeeping ----------------------------------------------------------------

-- People whose records changed since the last reconcile (by passport linking key). A
-- reconcile run claims the rows it works on; an ingest that marks a person again while
-- the run is under way clears the claim, so that change is seen by the next run.
CREATE TABLE reconcile_dirty (
    person_key VARCHAR(9) PRIMARY KEY,
    claimed_by VARCHAR(40)
);

CREATE TABLE reconcile_scope (
    person_key VARCHAR(9) PRIMARY KEY,
    run_id     VARCHAR(40) NOT NULL
);

CREATE TABLE reconcile_state (
    state_id        INTEGER PRIMARY KEY,
    as_of_date      DATE,
    nights_as_of    DATE,
    last_run_at     TIMESTAMP,
    last_run_scope  INTEGER
);

-- flags ---------------------------------------------------------------------------------

CREATE TABLE flag (
    flag_id         VARCHAR(20) PRIMARY KEY,
    rule_code       VARCHAR(30) NOT NULL,
    subject_key     VARCHAR(300) NOT NULL,
    person_key      VARCHAR(9) NOT NULL,
    severity        VARCHAR(10) NOT NULL,
    priority        INTEGER NOT NULL,
    status          VARCHAR(12) NOT NULL,
    disposition     VARCHAR(30),
    passport_number VARCHAR(9) NOT NULL,
    nationality     VARCHAR(3),
    report_ids      TEXT NOT NULL,
    lodging_id      VARCHAR(40),
    region_code     VARCHAR(5) NOT NULL,
    province_code   VARCHAR(2) NOT NULL,
    first_night     DATE,
    last_night      DATE,
    night_count     INTEGER,
    reason_id       TEXT NOT NULL,
    reason_en       TEXT NOT NULL,
    evidence        TEXT NOT NULL,
    evidence_hash   VARCHAR(32) NOT NULL,
    rule_version    VARCHAR(20) NOT NULL,
    raised_at       TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL,
    cleared_at      TIMESTAMP,
    clear_note      TEXT,
    assignee        VARCHAR(100),
    claimed_at      TIMESTAMP,
    closed_at       TIMESTAMP,
    closed_by       VARCHAR(100),
    close_note      TEXT,
    CONSTRAINT uq_flag_subject UNIQUE (rule_code, subject_key),
    CONSTRAINT ck_flag_status CHECK (status IN ('OPEN', 'IN_REVIEW', 'CLOSED', 'CLEARED', 'REOPENED'))
);
CREATE INDEX ix_flag_person ON flag (person_key);
CREATE INDEX ix_flag_queue ON flag (status, region_code, priority);

-- Everything that happened to a flag, append-only: raised, updated, cleared, reopened.
CREATE TABLE flag_event (
    event_id   VARCHAR(40) PRIMARY KEY,
    flag_id    VARCHAR(20) NOT NULL,
    at         TIMESTAMP NOT NULL,
    kind       VARCHAR(20) NOT NULL,
    actor      VARCHAR(100) NOT NULL,
    note       TEXT
);
CREATE INDEX ix_flag_event_flag ON flag_event (flag_id, at);

-- The rule engine's output of one reconcile run, before it is merged into flag.
CREATE TABLE flag_candidate (
    flag_id         VARCHAR(20) NOT NULL,
    rule_code       VARCHAR(30) NOT NULL,
    subject_key     VARCHAR(300) NOT NULL,
    person_key      VARCHAR(9) NOT NULL,
    severity        VARCHAR(10) NOT NULL,
    priority        INTEGER NOT NULL,
    passport_number VARCHAR(9) NOT NULL,
    nationality     VARCHAR(3),
    report_ids      TEXT NOT NULL,
    lodging_id      VARCHAR(40),
    region_code     VARCHAR(5) NOT NULL,
    province_code   VARCHAR(2) NOT NULL,
    first_night     DATE,
    last_night      DATE,
    night_count     INTEGER,
    reason_id       TEXT NOT NULL,
    reason_en       TEXT NOT NULL,
    evidence        TEXT NOT NULL,
    evidence_hash   VARCHAR(32) NOT NULL,
    rule_version    VARCHAR(20) NOT NULL,
    PRIMARY KEY (rule_code, subject_key)
);
