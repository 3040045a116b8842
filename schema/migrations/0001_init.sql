-- Herald's initial schema: teams, API keys, integrations and their event
-- subscriptions, events, deliveries and attempts.

CREATE TABLE teams (
    id         text PRIMARY KEY,
    name       text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE api_keys (
    id           text PRIMARY KEY,
    team_id      text NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    name         text NOT NULL DEFAULT '',
    prefix       text NOT NULL,
    -- SHA-256 of the whole key: keys carry 256 random bits, so a slow hash adds nothing.
    hash         bytea NOT NULL UNIQUE,
    scopes       text[] NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    revoked_at   timestamptz
);
CREATE INDEX api_keys_team ON api_keys (team_id);

CREATE TABLE integrations (
    id          text PRIMARY KEY,
    team_id     text NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    name        text NOT NULL,
    type        text NOT NULL,
    url         text NOT NULL,
    secret      text NOT NULL DEFAULT '',
    events      text[] NOT NULL,
    projects    text[] NOT NULL DEFAULT '{}',
    enabled     boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    deleted_at  timestamptz
);
CREATE INDEX integrations_team ON integrations (team_id, created_at, id) WHERE deleted_at IS NULL;

-- One row per (integration, pattern): matching an event is an index lookup on
-- (team_id, pattern) for the handful of patterns an event type can match,
-- never a scan of the team's (or everybody's) integrations.
CREATE TABLE integration_subscriptions (
    team_id        text NOT NULL,
    pattern        text NOT NULL,
    integration_id text NOT NULL REFERENCES integrations (id) ON DELETE CASCADE,
    PRIMARY KEY (team_id, pattern, integration_id)
);
CREATE INDEX integration_subscriptions_integration ON integration_subscriptions (integration_id);

CREATE TABLE events (
    team_id     text NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    id          text NOT NULL,
    type        text NOT NULL,
    project_id  text NOT NULL DEFAULT '',
    -- json, not jsonb: the receiver gets the data exactly as it was posted (key order kept).
    data        json NOT NULL,
    workflow_id text NOT NULL,
    received_at timestamptz NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (team_id, id)
);
CREATE INDEX events_team_recent ON events (team_id, received_at DESC, id DESC);

CREATE TABLE deliveries (
    id              text PRIMARY KEY,
    team_id         text NOT NULL,
    event_id        text NOT NULL,
    integration_id  text NOT NULL REFERENCES integrations (id) ON DELETE CASCADE,
    status          text NOT NULL,
    reason          text NOT NULL DEFAULT '',
    attempt_count   integer NOT NULL DEFAULT 0,
    last_status_code integer,
    last_attempt_at timestamptz,
    next_attempt_at timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    completed_at    timestamptz,
    FOREIGN KEY (team_id, event_id) REFERENCES events (team_id, id) ON DELETE CASCADE,
    UNIQUE (team_id, event_id, integration_id)
);
CREATE INDEX deliveries_integration_recent ON deliveries (integration_id, created_at DESC, id DESC);

CREATE TABLE attempts (
    delivery_id      text NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
    attempt_no       integer NOT NULL,
    trigger          text NOT NULL,
    outcome          text NOT NULL,
    started_at       timestamptz NOT NULL,
    duration_ms      integer NOT NULL,
    request_method   text NOT NULL,
    request_url      text NOT NULL,
    request_headers  jsonb NOT NULL,
    request_body     text NOT NULL,
    response_status  integer,
    response_headers jsonb,
    response_body    text NOT NULL DEFAULT '',
    response_body_truncated boolean NOT NULL DEFAULT false,
    error            text NOT NULL DEFAULT '',
    retry_after_ms   bigint,
    PRIMARY KEY (delivery_id, attempt_no)
);
