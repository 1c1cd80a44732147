-- The competition service's schema. Ids are client-chosen slugs (^[a-z][a-z0-9-]{0,62}$) or
-- server-generated; every contest-scoped table is keyed by (contest_id, …).

CREATE TABLE contests (
    id                 text PRIMARY KEY,
    display_name       text NOT NULL,
    year               int  NOT NULL,
    min_landed_entries int  NOT NULL DEFAULT 5 CHECK (min_landed_entries >= 0),
    min_landing_ratio  double precision NOT NULL DEFAULT 0.60 CHECK (min_landing_ratio BETWEEN 0 AND 1),
    landing_deadline   date,
    landing_pool       text NOT NULL DEFAULT 'AWARDED' CHECK (landing_pool IN ('AWARDED', 'FINALISTS')),
    version            int  NOT NULL DEFAULT 1,
    create_time        timestamptz NOT NULL DEFAULT clock_timestamp(),
    update_time        timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE TABLE rounds (
    contest_id         text NOT NULL REFERENCES contests (id),
    id                 text NOT NULL,
    display_name       text NOT NULL,
    kind               text NOT NULL CHECK (kind IN ('PRELIMINARY', 'SEMIFINAL', 'FINAL', 'OTHER')),
    sequence           int  NOT NULL,
    state              text NOT NULL DEFAULT 'DRAFT' CHECK (state IN ('DRAFT', 'OPEN', 'CLOSED', 'FINALIZED')),
    criteria           jsonb NOT NULL,          -- [{key, display_name, weight, min_value, max_value, step}]
    judges_per_entry   int  NOT NULL DEFAULT 5 CHECK (judges_per_entry > 0),
    aggregation        text NOT NULL DEFAULT 'MEAN' CHECK (aggregation IN ('MEAN', 'TRIMMED_MEAN', 'ZSCORE')),
    advancement        jsonb NOT NULL DEFAULT '{}',  -- {"top_n": N} or {"min_score": x}
    award_tiers        jsonb NOT NULL DEFAULT '[]',  -- [{tier, display_name, count}]
    judging_deadline   timestamptz,
    leaderboard_digest text NOT NULL DEFAULT '',
    force_close_reason text NOT NULL DEFAULT '',
    version            int  NOT NULL DEFAULT 1,
    create_time        timestamptz NOT NULL DEFAULT clock_timestamp(),
    update_time        timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (contest_id, id),
    UNIQUE (contest_id, sequence)
);

CREATE TABLE entries (
    contest_id     text NOT NULL REFERENCES contests (id),
    id             text NOT NULL,
    title          text NOT NULL,
    leader         jsonb,                        -- {display_name, role}
    members        jsonb NOT NULL DEFAULT '[]',
    organisations  text[] NOT NULL DEFAULT '{}',
    domain         text NOT NULL,
    origin_country text NOT NULL DEFAULT '',
    summary        text NOT NULL DEFAULT '',
    version        int  NOT NULL DEFAULT 1,
    create_time    timestamptz NOT NULL DEFAULT clock_timestamp(),
    update_time    timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (contest_id, id)
);
CREATE INDEX entries_keyset_idx ON entries (contest_id, create_time, id);

CREATE TABLE judges (
    id           text PRIMARY KEY,
    display_name text NOT NULL,
    domains      text[] NOT NULL DEFAULT '{}',
    affiliations text[] NOT NULL DEFAULT '{}',
    version      int  NOT NULL DEFAULT 1,
    create_time  timestamptz NOT NULL DEFAULT clock_timestamp(),
    update_time  timestamptz NOT NULL DEFAULT clock_timestamp()
);

-- Declared conflicts. Affiliation conflicts are derived from judges.affiliations and
-- entries.organisations (domain.conflicts) so that they follow every edit of either.
CREATE TABLE declared_conflicts (
    contest_id  text NOT NULL,
    entry_id    text NOT NULL,
    judge_id    text NOT NULL REFERENCES judges (id),
    source      text NOT NULL CHECK (source IN ('DECLARED_BY_JUDGE', 'DECLARED_BY_ADMIN')),
    reason      text NOT NULL,
    declared_by text NOT NULL,
    create_time timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (contest_id, entry_id, judge_id),
    FOREIGN KEY (contest_id, entry_id) REFERENCES entries (contest_id, id)
);
CREATE INDEX declared_conflicts_judge_idx ON declared_conflicts (judge_id);

CREATE TABLE assignments (
    contest_id  text NOT NULL,
    round_id    text NOT NULL,
    entry_id    text NOT NULL,
    judge_id    text NOT NULL REFERENCES judges (id),
    create_time timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (contest_id, round_id, entry_id, judge_id),
    FOREIGN KEY (contest_id, round_id) REFERENCES rounds (contest_id, id),
    FOREIGN KEY (contest_id, entry_id) REFERENCES entries (contest_id, id)
);
-- A judge's own view: "my assignments".
CREATE INDEX assignments_judge_idx ON assignments (contest_id, round_id, judge_id);

-- The current sheet of each (round, entry, judge); every version, the current one included, is
-- also in score_sheet_versions.
CREATE TABLE score_sheets (
    contest_id  text NOT NULL,
    round_id    text NOT NULL,
    entry_id    text NOT NULL,
    judge_id    text NOT NULL,
    scores      jsonb NOT NULL,              -- {criterion_key: value}
    comment     text NOT NULL DEFAULT '',
    total       double precision NOT NULL,   -- weighted, normalised to 0–100
    version     int  NOT NULL,
    submit_time timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (contest_id, round_id, entry_id, judge_id),
    FOREIGN KEY (contest_id, round_id, entry_id, judge_id)
        REFERENCES assignments (contest_id, round_id, entry_id, judge_id) DEFERRABLE INITIALLY DEFERRED
);

CREATE TABLE score_sheet_versions (
    contest_id  text NOT NULL,
    round_id    text NOT NULL,
    entry_id    text NOT NULL,
    judge_id    text NOT NULL,
    version     int  NOT NULL,
    scores      jsonb NOT NULL,
    comment     text NOT NULL DEFAULT '',
    total       double precision NOT NULL,
    submitted_by text NOT NULL,
    submit_time timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (contest_id, round_id, entry_id, judge_id, version)
);

-- Written once by FinalizeRound: outcome per entry, award tier in the final round.
CREATE TABLE round_results (
    contest_id text NOT NULL,
    round_id   text NOT NULL,
    entry_id   text NOT NULL,
    rank       int  NOT NULL,
    score      double precision NOT NULL,
    outcome    text NOT NULL CHECK (outcome IN ('ADVANCED', 'ELIMINATED')),
    award_tier text,
    PRIMARY KEY (contest_id, round_id, entry_id),
    FOREIGN KEY (contest_id, round_id) REFERENCES rounds (contest_id, id),
    FOREIGN KEY (contest_id, entry_id) REFERENCES entries (contest_id, id)
);
CREATE INDEX round_results_awards_idx ON round_results (contest_id) WHERE award_tier IS NOT NULL;

CREATE TABLE leaderboard_snapshots (
    contest_id  text NOT NULL,
    round_id    text NOT NULL,
    method      text NOT NULL,
    rows        jsonb NOT NULL,
    digest      text NOT NULL,   -- SHA-256 of the canonical rows (domain.ranking.leaderboard_digest)
    bootstrap_resamples int NOT NULL,   -- the robustness column's resample count
    create_time timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (contest_id, round_id),
    FOREIGN KEY (contest_id, round_id) REFERENCES rounds (contest_id, id)
);

-- Tamper-evident: each row carries the hash of the previous one (domain.audit). The payload is
-- kept as the exact canonical text that was hashed.
CREATE TABLE audit_log (
    seq           bigint PRIMARY KEY,
    occurred_at   timestamptz NOT NULL,
    actor         text NOT NULL,
    action        text NOT NULL,
    payload       text NOT NULL,
    previous_hash text NOT NULL,
    hash          text NOT NULL
);
