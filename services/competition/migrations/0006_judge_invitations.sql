-- Judge invitations: personal sign-in links of the judges' portal. Only the invitation's identity,
-- expiry and revocation are stored; the link's secret code is an HMAC over them (keyed by the
-- service's invitation secret), re-derived whenever an admin needs the link again.
CREATE TABLE judge_invitations (
    contest_id   text NOT NULL,
    round_id     text NOT NULL,
    id           text NOT NULL,
    judge_id     text NOT NULL REFERENCES judges (id),
    created_by   text NOT NULL,
    create_time  timestamptz NOT NULL DEFAULT clock_timestamp(),
    expire_time  timestamptz NOT NULL,
    revoke_time  timestamptz,
    revoked_by   text NOT NULL DEFAULT '',
    PRIMARY KEY (contest_id, round_id, id),
    FOREIGN KEY (contest_id, round_id) REFERENCES rounds (contest_id, id),
    CHECK (expire_time > create_time)
);
-- Redeeming looks an invitation up by its id alone (the code carries only the id).
CREATE UNIQUE INDEX judge_invitations_id_idx ON judge_invitations (id);
-- The listing of a round, per judge, and "does this judge already have an active one".
CREATE INDEX judge_invitations_round_judge_idx ON judge_invitations (contest_id, round_id, judge_id, create_time);
