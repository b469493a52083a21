DROP TABLE star_next_guest_night;
