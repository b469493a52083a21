-- Keys of the staged star rows, for the comparison with the stored ones.
CREATE UNIQUE INDEX ix_star_next_person ON star_next_person (person_key);
CREATE UNIQUE INDEX ix_star_next_check_in ON star_next_check_in (report_id);
CREATE UNIQUE INDEX ix_star_next_permit ON star_next_permit (permit_number);
CREATE UNIQUE INDEX ix_star_next_visa ON star_next_visa (visa_number);
