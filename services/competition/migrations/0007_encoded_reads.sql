-- Pre-encoded read model: a round and an assignment keep their competition.v1 message, encoded,
-- next to their columns, written by the same statement as the row (GetRound and ListAssignments
-- answer with the bytes). ``encoding`` names the codec that wrote them (api.codec, *_ENCODING):
-- 0 = none yet. Rows whose encoding is not the service's own, and rounds whose bytes were encoded
-- from another version of the row (a writer that predates the column bumps version, never
-- encoded_version), are served by the slow path and re-encoded by the start-up backfill.
ALTER TABLE rounds
    ADD COLUMN encoding smallint NOT NULL DEFAULT 0,
    ADD COLUMN encoded bytea,
    ADD COLUMN encoded_version int;

-- An assignment is stored as an item of a ListAssignments page (its message framed as a record of
-- the page's repeated field), so that a page is the concatenation of its items. The message differs
-- only by ``submitted`` (whether the judge's current sheet exists, read from score_sheets at read
-- time): one item per variant. The other fields never change after the insert.
ALTER TABLE assignments
    ADD COLUMN encoding smallint NOT NULL DEFAULT 0,
    ADD COLUMN encoded bytea,
    ADD COLUMN encoded_submitted bytea;
