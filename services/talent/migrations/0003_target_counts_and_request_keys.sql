-- Target progress counts one year's applications with an index-only scan of this index (the
-- candidate id rides along to exclude soft-deleted candidates without touching the table); it
-- replaces the (programme_id, year, stage) index, which only that report used.
DROP INDEX applications_programme_year_stage_idx;
CREATE INDEX applications_year_programme_stage_idx ON applications (year, programme_id, stage) INCLUDE (candidate_id);

-- Stored responses written before responses carried their resource: file them under the resource
-- they describe (the response's field 1, its name, serialised first), so that anonymizing a
-- candidate rewrites them too.
UPDATE idempotency_keys
SET resource = convert_from(substring(response FROM 3 FOR get_byte(response, 1)), 'UTF8')
WHERE resource IS NULL
  AND length(response) > 2
  AND get_byte(response, 0) = 10                    -- field 1, length-delimited
  AND get_byte(response, 1) BETWEEN 1 AND 127       -- a one-byte length
  AND length(response) >= 2 + get_byte(response, 1)
  AND (position('candidates/'::bytea IN response) = 3 OR position('applications/'::bytea IN response) = 3);

-- Digests written before they were keyed are plain SHA-256 hashes of requests that held identity
-- documents: anyone with the table and a candidate's other fields could brute-force the document.
-- Overwrite them; a retry of such an old request id now answers REQUEST_ID_REUSED (as the platform's
-- migration 0002 says it would anyway) instead of being replayed.
UPDATE idempotency_keys SET request_hash = '\x'::bytea WHERE scope LIKE '%:talent.v1.CreateCandidateRequest';
