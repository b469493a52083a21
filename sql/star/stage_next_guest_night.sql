-- The guest-night facts the people in scope should have (see stage_next_people).
CREATE TEMPORARY TABLE star_next_guest_night AS SELECT * FROM fact_guest_night WHERE 1 = 0;
