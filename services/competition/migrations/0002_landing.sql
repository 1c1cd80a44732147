-- Landing (落地) of the entries of a contest's landing pool: one current record per entry and its
-- history. The pool itself is derived from round_results (services.competition.store.landing.POOL),
-- so that it follows awards and advancement without a copy to keep in step.

CREATE TABLE landings (
    contest_id                 text NOT NULL,
    entry_id                   text NOT NULL,
    stage                      text NOT NULL
        CHECK (stage IN ('INTENT', 'SIGNED', 'REGISTERED', 'OPERATING', 'DROPPED')),
    agreement_date             date,
    company_name               text,
    credit_code                text CHECK (credit_code IS NULL OR length(credit_code) = 18),
    registration_date          date,
    registered_capital_wan_cny double precision CHECK (registered_capital_wan_cny >= 0),
    drop_reason                text NOT NULL DEFAULT '',
    version                    int  NOT NULL DEFAULT 1,
    create_time                timestamptz NOT NULL DEFAULT clock_timestamp(),
    update_time                timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (contest_id, entry_id),
    FOREIGN KEY (contest_id, entry_id) REFERENCES entries (contest_id, id),
    -- A landed record always carries its company; the store writes them together.
    CHECK (stage NOT IN ('REGISTERED', 'OPERATING') OR (company_name IS NOT NULL AND credit_code IS NOT NULL)),
    CHECK (stage <> 'DROPPED' OR drop_reason <> '')
);
-- GetLandingStatus and the business gauges count records by contest and stage.
CREATE INDEX landings_stage_idx ON landings (contest_id, stage);

CREATE TABLE landing_events (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    contest_id text NOT NULL,
    entry_id   text NOT NULL,
    from_stage text,          -- NULL: the record was created by this move
    to_stage   text NOT NULL,
    actor      text NOT NULL,
    time       timestamptz NOT NULL DEFAULT clock_timestamp(),
    note       text NOT NULL DEFAULT '',
    FOREIGN KEY (contest_id, entry_id) REFERENCES landings (contest_id, entry_id)
);
CREATE INDEX landing_events_entry_idx ON landing_events (contest_id, entry_id, id);
