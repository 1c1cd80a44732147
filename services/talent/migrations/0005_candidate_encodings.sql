-- Each candidate's Candidate message, kept encoded beside its columns: as writers see it (encoded)
-- and as viewers do, contact masked (encoded_masked). GetCandidate and ListCandidates answer with
-- these bytes instead of decoding the columns, building the message and serialising it again.
-- The service writes them in the same statement as the row; `encoding` is the version of the codec
-- that made them (services/talent/store/candidates.py ENCODING). NULL, or another version: the
-- bytes are not trusted; reads build the message from the columns and the service re-encodes.
ALTER TABLE candidates
    ADD COLUMN encoded        bytea,
    ADD COLUMN encoded_masked bytea,
    ADD COLUMN encoding       smallint;

-- An UPDATE that changes the row without writing new bytes (a replica still running older code
-- during a rollout, an operator's hand-written fix) would leave bytes that no longer match the
-- columns: such an update marks them stale. The service's own writes always write new bytes
-- (the version, and so the etag inside them, changes with every write).
CREATE FUNCTION stale_candidate_encoding() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.encoding = NULL;
    RETURN NEW;
END $$;

CREATE TRIGGER candidates_encoding_follows_row BEFORE UPDATE ON candidates
    FOR EACH ROW
    WHEN (NEW.encoding IS NOT DISTINCT FROM OLD.encoding AND NEW.encoded IS NOT DISTINCT FROM OLD.encoded
          AND NEW.encoding IS NOT NULL)
    EXECUTE FUNCTION stale_candidate_encoding();
