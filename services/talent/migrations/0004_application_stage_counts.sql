-- Target progress read a year's applications and counted them on every call (its PostgreSQL CPU
-- grew with the year's applications). These counts are kept by triggers instead: applications of
-- live candidates by (year, programme, stage); a soft-deleted candidate's applications do not count.
CREATE TABLE application_stage_counts (
    year         int  NOT NULL,
    programme_id text NOT NULL,
    stage        text NOT NULL,
    n            int  NOT NULL,
    PRIMARY KEY (year, programme_id, stage)
);

INSERT INTO application_stage_counts (year, programme_id, stage, n)
SELECT a.year, a.programme_id, a.stage, count(*)
FROM applications a JOIN candidates c ON c.id = a.candidate_id
WHERE c.delete_time IS NULL
GROUP BY a.year, a.programme_id, a.stage;

-- Every change goes through one INSERT … ON CONFLICT whose rows come in key order: two writers
-- that change the same counts lock them in the same order, so they cannot deadlock.
--
-- An application's change locks its candidate's row (FOR SHARE) before it is counted, so that it
-- is ordered with a concurrent soft delete of that candidate: whichever commits second sees the
-- other's result (a delete counts the stages it then reads; a change after a delete counts nothing).
CREATE FUNCTION count_application_change() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        PERFORM FROM candidates WHERE id = OLD.candidate_id AND delete_time IS NULL FOR SHARE;
        IF NOT FOUND THEN
            RETURN NULL;
        END IF;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        PERFORM FROM candidates WHERE id = NEW.candidate_id AND delete_time IS NULL FOR SHARE;
        IF NOT FOUND THEN
            RETURN NULL;
        END IF;
    END IF;
    INSERT INTO application_stage_counts AS s (year, programme_id, stage, n)
    SELECT d.year, d.programme_id, d.stage, d.n
    FROM (
        SELECT OLD.year, OLD.programme_id, OLD.stage, -1 WHERE TG_OP <> 'INSERT'
        UNION ALL
        SELECT NEW.year, NEW.programme_id, NEW.stage, 1 WHERE TG_OP <> 'DELETE'
    ) AS d (year, programme_id, stage, n)
    ORDER BY d.year, d.programme_id, d.stage
    ON CONFLICT (year, programme_id, stage) DO UPDATE SET n = s.n + excluded.n;
    RETURN NULL;
END
$$;

CREATE TRIGGER applications_counted AFTER INSERT OR DELETE ON applications
FOR EACH ROW EXECUTE FUNCTION count_application_change();
CREATE TRIGGER applications_recounted AFTER UPDATE OF year, programme_id, stage, candidate_id ON applications
FOR EACH ROW WHEN ((OLD.year, OLD.programme_id, OLD.stage, OLD.candidate_id)
                   IS DISTINCT FROM (NEW.year, NEW.programme_id, NEW.stage, NEW.candidate_id))
EXECUTE FUNCTION count_application_change();

-- A candidate soft deleted (or restored) takes its applications out of (or back into) the counts.
CREATE FUNCTION count_candidate_liveness() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    INSERT INTO application_stage_counts AS s (year, programme_id, stage, n)
    SELECT a.year, a.programme_id, a.stage, CASE WHEN NEW.delete_time IS NULL THEN 1 ELSE -1 END * count(*)
    FROM applications a
    WHERE a.candidate_id = NEW.id
    GROUP BY a.year, a.programme_id, a.stage
    ORDER BY a.year, a.programme_id, a.stage
    ON CONFLICT (year, programme_id, stage) DO UPDATE SET n = s.n + excluded.n;
    RETURN NULL;
END
$$;

CREATE TRIGGER candidates_liveness_counted AFTER UPDATE OF delete_time ON candidates
FOR EACH ROW WHEN ((OLD.delete_time IS NULL) IS DISTINCT FROM (NEW.delete_time IS NULL))
EXECUTE FUNCTION count_candidate_liveness();
