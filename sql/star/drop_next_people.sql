DROP TABLE star_next_person;
DROP TABLE star_next_check_in;
DROP TABLE star_next_permit;
DROP TABLE star_next_visa;
