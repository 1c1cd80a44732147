-- GetTargetProgress answers from a per-replica cache of its encoded response, checked on every call
-- against a validator read from here: (epoch, the sum of the year's count-row versions). Equal
-- validators mean equal answers, on any replica, because:
--
--   * every update of a count row raises its version by exactly one (the trigger below, whatever
--     the statement sets: the count triggers of 0004 and any later ones need not know), and a new
--     row starts at a version >= 1; so, as long as no row leaves a year, any change to a year's
--     counts raises that year's sum;
--   * a row can only leave a year by a DELETE, a TRUNCATE or an UPDATE of its key, and each of those
--     raises the epoch, in the same transaction; so does any change to targets (seeded by
--     migrations, but a later migration or an operator may change them while replicas serve);
--   * the epoch never goes down. So between two states with the same epoch the sum only rises, and
--     rises at every change: the same (epoch, sum) is the same state, and a later state always
--     compares greater, which lets a replica keep the newer of two answers.
--
-- Application writes touch only the count rows they already update: the epoch row is written by
-- catalogue changes and maintenance alone, never on the write path.
ALTER TABLE application_stage_counts ADD COLUMN version bigint NOT NULL DEFAULT 1 CHECK (version >= 1);

CREATE TABLE target_progress_epoch (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    epoch    bigint NOT NULL
);
INSERT INTO target_progress_epoch (epoch) VALUES (1);

CREATE FUNCTION next_target_progress_epoch() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    UPDATE target_progress_epoch SET epoch = epoch + 1;
    RETURN NULL;
END
$$;

CREATE TRIGGER targets_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON targets
FOR EACH STATEMENT EXECUTE FUNCTION next_target_progress_epoch();
CREATE TRIGGER stage_counts_removed AFTER DELETE OR TRUNCATE ON application_stage_counts
FOR EACH STATEMENT EXECUTE FUNCTION next_target_progress_epoch();

CREATE FUNCTION version_stage_count() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    IF (NEW.year, NEW.programme_id, NEW.stage) IS DISTINCT FROM (OLD.year, OLD.programme_id, OLD.stage) THEN
        UPDATE target_progress_epoch SET epoch = epoch + 1;  -- the row left its year: as a delete
    END IF;
    NEW.version := OLD.version + 1;
    RETURN NEW;
END
$$;

CREATE TRIGGER stage_counts_versioned BEFORE UPDATE ON application_stage_counts
FOR EACH ROW EXECUTE FUNCTION version_stage_count();
