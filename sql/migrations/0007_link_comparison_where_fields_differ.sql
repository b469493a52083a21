-- identity_link.comparison becomes nullable (see the PostgreSQL twin of this migration for
-- why). SQLite cannot drop a NOT NULL in place: the table is rebuilt with the same columns,
-- keys, checks and indexes.
CREATE TABLE identity_link_rebuilt (
    report_id           VARCHAR(60) NOT NULL,
    document_kind       VARCHAR(6) NOT NULL,
    document_number     VARCHAR(30) NOT NULL,
    person_key          VARCHAR(9) NOT NULL,
    passport_match      VARCHAR(10) NOT NULL,
    name_score          REAL NOT NULL,
    name_verdict        VARCHAR(9) NOT NULL,
    date_of_birth_verdict VARCHAR(9) NOT NULL,
    sex_verdict         VARCHAR(9) NOT NULL,
    nationality_verdict VARCHAR(9) NOT NULL,
    score               REAL NOT NULL,
    verdict             VARCHAR(8) NOT NULL,
    comparison          TEXT,
    PRIMARY KEY (report_id, document_kind, document_number),
    CONSTRAINT ck_identity_link_kind CHECK (document_kind IN ('PERMIT', 'VISA')),
    CONSTRAINT ck_identity_link_passport CHECK (passport_match IN ('EXACT', 'CONFUSABLE')),
    CONSTRAINT ck_identity_link_verdict CHECK (verdict IN ('LINKED', 'MISMATCH'))
);
INSERT INTO identity_link_rebuilt (
    report_id, document_kind, document_number, person_key, passport_match, name_score, name_verdict,
    date_of_birth_verdict, sex_verdict, nationality_verdict, score, verdict, comparison
)
SELECT
    report_id, document_kind, document_number, person_key, passport_match, name_score, name_verdict,
    date_of_birth_verdict, sex_verdict, nationality_verdict, score, verdict,
    CASE
        WHEN verdict = 'LINKED' AND passport_match = 'EXACT' AND name_verdict = 'SAME'
            AND date_of_birth_verdict = 'SAME' AND sex_verdict = 'SAME' AND nationality_verdict = 'SAME'
            THEN NULL
        ELSE comparison
    END
FROM identity_link;
DROP TABLE identity_link;
ALTER TABLE identity_link_rebuilt RENAME TO identity_link;
CREATE INDEX ix_identity_link_person ON identity_link (person_key);
CREATE INDEX ix_identity_link_mismatch ON identity_link (verdict, report_id);
