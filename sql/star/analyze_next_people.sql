-- Autovacuum never sees session tables: without statistics the comparison joins are guesses.
ANALYZE star_next_person;
ANALYZE star_next_check_in;
ANALYZE star_next_permit;
ANALYZE star_next_visa;
