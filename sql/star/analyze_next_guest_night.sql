-- Autovacuum never sees session tables: without statistics the comparison join is a guess.
ANALYZE star_next_guest_night;
