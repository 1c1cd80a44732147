-- What a stored response is about (e.g. 'candidates/<id>'), so that erasing a person can rewrite
-- every stored response that mentions them. Digests are keyed HMACs from now on: older rows keep
-- their plain digests, which simply no longer match, so a retry of such an old request id is
-- answered REQUEST_ID_REUSED instead of replayed; request ids expire after the retention anyway.
ALTER TABLE idempotency_keys ADD COLUMN resource text;
CREATE INDEX idempotency_keys_resource_idx ON idempotency_keys (resource) WHERE resource IS NOT NULL;
