-- Reports count applications of live candidates by excluding the (few) soft-deleted ones: with
-- this index that costs the same whatever the number of live candidates.
CREATE INDEX candidates_deleted_idx ON candidates (id) WHERE delete_time IS NOT NULL;
