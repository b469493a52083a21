-- Identity linking and the material hash of flags.
--
-- identity_link: every guest stay of a person the reconcile examined, against every stay
-- permit and visa on the same passport linking key, with the per-field comparison that
-- decided whether the guest is the document's holder (LINKED) or someone else (MISMATCH).
-- Rebuilt for the people of each reconcile run, like guest_night.

CREATE TABLE identity_link (
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
    comparison          TEXT NOT NULL,
    PRIMARY KEY (report_id, document_kind, document_number),
    CONSTRAINT ck_identity_link_kind CHECK (document_kind IN ('PERMIT', 'VISA')),
    CONSTRAINT ck_identity_link_passport CHECK (passport_match IN ('EXACT', 'CONFUSABLE')),
    CONSTRAINT ck_identity_link_verdict CHECK (verdict IN ('LINKED', 'MISMATCH'))
);
CREATE INDEX ix_identity_link_person ON identity_link (person_key);
CREATE INDEX ix_identity_link_mismatch ON identity_link (verdict, report_id);

-- A flag's evidence changes every night an open stay grows; only a change of substance
-- (other records, other disagreeing fields) may reopen a flag a reviewer closed.
ALTER TABLE flag ADD COLUMN material_hash VARCHAR(32);
ALTER TABLE flag_candidate ADD COLUMN material_hash VARCHAR(32);
