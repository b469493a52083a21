-- The analyst star schema: conformed dimensions and facts, refreshed by the reconcile for
-- the people it examined (timpora.warehouse.star). Analysts read it only through the views
-- in sql/views/; personal data appears there only as a keyed pseudonym.

CREATE TABLE dim_date (
    date_key     INTEGER PRIMARY KEY,  -- days since 1970-01-01 (calendar_day.day_number)
    day          DATE NOT NULL UNIQUE,
    year         INTEGER NOT NULL,
    month        INTEGER NOT NULL,
    day_of_month INTEGER NOT NULL,
    iso_week     INTEGER NOT NULL,
    iso_weekday  INTEGER NOT NULL,
    month_label  VARCHAR(7) NOT NULL  -- 2024-10
);

CREATE TABLE dim_region (
    region_code   VARCHAR(5) PRIMARY KEY,
    name          VARCHAR(100) NOT NULL,
    level         VARCHAR(10) NOT NULL,
    province_code VARCHAR(2) NOT NULL,
    province_name VARCHAR(100) NOT NULL,
    timezone      VARCHAR(40) NOT NULL
);

CREATE TABLE dim_nationality (
    nationality_code VARCHAR(3) PRIMARY KEY,
    name             VARCHAR(100) NOT NULL
);

CREATE TABLE dim_visa_index (
    edition         VARCHAR(10) NOT NULL,
    visa_index      VARCHAR(10) NOT NULL,
    in_force_from   DATE NOT NULL,
    kind            VARCHAR(30) NOT NULL,
    name_en         VARCHAR(120) NOT NULL,
    activities      VARCHAR(200) NOT NULL,
    max_stay_days   INTEGER NOT NULL,
    allows_work     INTEGER NOT NULL,
    permit_type     VARCHAR(4) NOT NULL,
    PRIMARY KEY (edition, visa_index)
);

-- A person as the platform resolves them: one passport linking key. No name, no number:
-- person_pseudonym is HMAC-SHA256 of the key under the configured secret.
CREATE TABLE dim_person (
    person_key       VARCHAR(9) PRIMARY KEY,
    person_pseudonym VARCHAR(20) NOT NULL UNIQUE,
    nationality_code VARCHAR(3) NOT NULL REFERENCES dim_nationality (nationality_code),
    sex              VARCHAR(1),
    birth_year       INTEGER
);

CREATE TABLE dim_lodging (
    lodging_id   VARCHAR(40) PRIMARY KEY,
    lodging_name VARCHAR(200) NOT NULL,
    region_code  VARCHAR(5) NOT NULL REFERENCES dim_region (region_code)
);

-- One row per guest night; covered_by_permit: a stay permit identity-linked to the stay
-- covers the night.
CREATE TABLE fact_guest_night (
    report_id         VARCHAR(60) NOT NULL,
    date_key          INTEGER NOT NULL REFERENCES dim_date (date_key),
    person_key        VARCHAR(9) NOT NULL REFERENCES dim_person (person_key),
    lodging_id        VARCHAR(40) NOT NULL REFERENCES dim_lodging (lodging_id),
    region_code       VARCHAR(5) NOT NULL REFERENCES dim_region (region_code),
    nationality_code  VARCHAR(3) NOT NULL REFERENCES dim_nationality (nationality_code),
    covered_by_permit INTEGER NOT NULL,
    permit_type       VARCHAR(4),
    PRIMARY KEY (report_id, date_key),
    CONSTRAINT ck_fact_guest_night_covered CHECK (covered_by_permit IN (0, 1))
);
CREATE INDEX ix_fact_guest_night_region_day ON fact_guest_night (region_code, date_key);
CREATE INDEX ix_fact_guest_night_person ON fact_guest_night (person_key);

-- One row per stay's check-in, for reporting compliance (NULL: the CHECK_IN report never came).
CREATE TABLE fact_check_in (
    report_id          VARCHAR(60) PRIMARY KEY,
    person_key         VARCHAR(9) NOT NULL REFERENCES dim_person (person_key),
    lodging_id         VARCHAR(40) NOT NULL REFERENCES dim_lodging (lodging_id),
    region_code        VARCHAR(5) NOT NULL REFERENCES dim_region (region_code),
    check_in_date_key  INTEGER NOT NULL REFERENCES dim_date (date_key),
    report_delay_hours REAL,
    reported_in_time   INTEGER,
    CONSTRAINT ck_fact_check_in_in_time CHECK (reported_in_time IN (0, 1))
);
CREATE INDEX ix_fact_check_in_lodging ON fact_check_in (lodging_id);
-- Deleting a person's rows (and the FK check when dim_person rows go) must not scan.
CREATE INDEX ix_fact_check_in_person ON fact_check_in (person_key);

CREATE TABLE fact_permit (
    permit_number      VARCHAR(30) PRIMARY KEY,
    person_key         VARCHAR(9) NOT NULL REFERENCES dim_person (person_key),
    permit_type        VARCHAR(4) NOT NULL,
    status             VARCHAR(10) NOT NULL,
    activity           VARCHAR(20) NOT NULL,
    sponsor_type       VARCHAR(20),
    region_code        VARCHAR(5) NOT NULL REFERENCES dim_region (region_code),
    valid_from_key     INTEGER NOT NULL REFERENCES dim_date (date_key),
    valid_until_key    INTEGER NOT NULL REFERENCES dim_date (date_key),
    record_version     INTEGER NOT NULL
);
CREATE INDEX ix_fact_permit_person ON fact_permit (person_key);

CREATE TABLE fact_visa (
    visa_number     VARCHAR(20) PRIMARY KEY,
    person_key      VARCHAR(9) NOT NULL REFERENCES dim_person (person_key),
    edition         VARCHAR(10) NOT NULL,
    visa_index      VARCHAR(10) NOT NULL,
    status          VARCHAR(10) NOT NULL,
    purpose         VARCHAR(20) NOT NULL,
    sponsor_type    VARCHAR(20),
    issued_date_key INTEGER NOT NULL REFERENCES dim_date (date_key),
    valid_until_key INTEGER NOT NULL REFERENCES dim_date (date_key)
);
CREATE INDEX ix_fact_visa_person ON fact_visa (person_key);

-- Monitoring windows of the rule configuration, as the reconcile last saw them.
CREATE TABLE monitoring_window (
    name           VARCHAR(120) NOT NULL,
    region_prefix  VARCHAR(5) NOT NULL,
    date_from      DATE NOT NULL,
    date_until     DATE NOT NULL,
    priority_boost INTEGER NOT NULL,
    PRIMARY KEY (name, region_prefix)
);
