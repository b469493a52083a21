-- Keys of the staged guest-night facts, for the comparison with the stored ones.
CREATE UNIQUE INDEX ix_star_next_guest_night ON star_next_guest_night (report_id, date_key);
