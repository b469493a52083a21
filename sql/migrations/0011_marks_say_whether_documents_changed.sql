-- A mark now says whether the person's permits or visas changed, and so does the scope
-- row it becomes: the star refresh rebuilds a person's permit and visa facts only then
-- (or in a full reconcile). On a national day most people in scope are returning guests
-- marked by a lodging file, whose documents of the year did not change, and restaging
-- and comparing those facts was a third of the refresh. Marks and claims that exist now
-- say nothing of it, and are taken as changes.
ALTER TABLE reconcile_dirty ADD COLUMN documents_changed SMALLINT NOT NULL DEFAULT 1; -- 1: a permit or visa file marked
ALTER TABLE reconcile_scope ADD COLUMN documents_changed SMALLINT NOT NULL DEFAULT 1; -- 1: star rebuilds document facts
