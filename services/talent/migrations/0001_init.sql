-- The talent service's schema: programmes, candidates, applications with their stage history,
-- and yearly targets. Enum-like columns are text with CHECK constraints so that the values read
-- the same in SQL as in the API.

CREATE TABLE programmes (
    id           text PRIMARY KEY,
    level        text NOT NULL CHECK (level IN ('NATIONAL', 'PROVINCIAL', 'CITY')),
    kind         text NOT NULL CHECK (kind IN ('INDIVIDUAL', 'TEAM')),
    title_zh     text NOT NULL,
    title_en     text NOT NULL,
    active_years int[] NOT NULL
);

CREATE TABLE candidates (
    id             uuid PRIMARY KEY,
    kind           text NOT NULL CHECK (kind IN ('INDIVIDUAL', 'TEAM')),
    display_name   text NOT NULL,
    domain         text NOT NULL,
    origin         text NOT NULL,
    tier           text,
    employer       text NOT NULL DEFAULT '',
    birth_year     int,
    email          text,           -- normalised (lower case)
    phone          text,           -- normalised (11-digit mainland mobile or E.164)
    document_hash  bytea,          -- HMAC-SHA256 of the normalised identity document
    document_last4 text,
    leader         jsonb,
    members        jsonb NOT NULL DEFAULT '[]',
    version        int NOT NULL DEFAULT 1,
    create_time    timestamptz NOT NULL DEFAULT clock_timestamp(),
    update_time    timestamptz NOT NULL DEFAULT clock_timestamp(),
    delete_time    timestamptz,
    anonymized     boolean NOT NULL DEFAULT false
);
-- Duplicate detection among live candidates; a soft-deleted or anonymized one no longer blocks.
CREATE UNIQUE INDEX candidates_email_live_key ON candidates (email) WHERE delete_time IS NULL;
CREATE UNIQUE INDEX candidates_phone_live_key ON candidates (phone) WHERE delete_time IS NULL;
CREATE UNIQUE INDEX candidates_document_live_key ON candidates (document_hash) WHERE delete_time IS NULL;
-- Keysets of the two list orderings.
CREATE INDEX candidates_create_time_id_idx ON candidates (create_time, id);
CREATE INDEX candidates_display_name_id_idx ON candidates (display_name, id);

CREATE TABLE applications (
    id           uuid PRIMARY KEY,
    candidate_id uuid NOT NULL REFERENCES candidates (id),
    programme_id text NOT NULL REFERENCES programmes (id),
    year         int  NOT NULL,
    stage        text NOT NULL,
    version      int  NOT NULL DEFAULT 1,
    create_time  timestamptz NOT NULL DEFAULT clock_timestamp(),
    update_time  timestamptz NOT NULL DEFAULT clock_timestamp(),
    UNIQUE (candidate_id, programme_id, year)
);
-- Target progress and list filters: by programme, year and stage.
CREATE INDEX applications_programme_year_stage_idx ON applications (programme_id, year, stage);
CREATE INDEX applications_create_time_id_idx ON applications (create_time, id);

CREATE TABLE application_events (
    id             bigserial PRIMARY KEY,
    application_id uuid NOT NULL REFERENCES applications (id),
    from_stage     text,
    to_stage       text NOT NULL,
    actor          text NOT NULL,
    time           timestamptz NOT NULL DEFAULT clock_timestamp(),
    note           text NOT NULL DEFAULT ''
);
CREATE INDEX application_events_application_idx ON application_events (application_id, id);

CREATE TABLE targets (
    id            text PRIMARY KEY,
    year          int  NOT NULL,
    slug          text NOT NULL,
    title_zh      text NOT NULL,
    title_en      text NOT NULL,
    required      int  NOT NULL CHECK (required >= 0),
    programme_ids text[] NOT NULL,
    UNIQUE (year, slug)
);

-- The four programmes and the three 2024 targets of the bureau's work plan.
INSERT INTO programmes (id, level, kind, title_zh, title_en, active_years) VALUES
    ('national-leading', 'NATIONAL', 'INDIVIDUAL', '国家级领军人才', 'National leading talents', '{2023,2024,2025,2026}'),
    ('provincial-leading', 'PROVINCIAL', 'INDIVIDUAL', '省级领军人才', 'Provincial leading talents', '{2023,2024,2025,2026}'),
    ('ouyue', 'CITY', 'INDIVIDUAL', '瓯越英才计划', 'Ouyue Talent Plan', '{2023,2024,2025,2026}'),
    ('city-team', 'CITY', 'TEAM', '市级创新团队', 'City-level innovation teams', '{2023,2024,2025,2026}');

INSERT INTO targets (id, year, slug, title_zh, title_en, required, programme_ids) VALUES
    ('2024-leading-talents', 2024, 'leading-talents', '入选国家省级领军人才', 'National or provincial leading talents', 5,
     '{national-leading,provincial-leading}'),
    ('2024-ouyue', 2024, 'ouyue', '入选市瓯越英才计划', 'Ouyue Talent Plan', 6, '{ouyue}'),
    ('2024-city-teams', 2024, 'city-teams', '入选市级团队', 'City-level teams', 1, '{city-team}');
