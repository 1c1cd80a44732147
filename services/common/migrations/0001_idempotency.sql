-- A request_id names one write: a retry returns the stored response instead of writing again.
CREATE TABLE idempotency_keys (
    scope        text        NOT NULL,  -- caller subject and method
    request_id   text        NOT NULL,
    request_hash bytea       NOT NULL,  -- the request without its request_id
    response     bytea,                 -- the serialized response of the first call
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (scope, request_id)
);
CREATE INDEX idempotency_keys_created_at_idx ON idempotency_keys (created_at);
