-- The event catalog (issue: the API as a contract): a team's own event types
-- with the JSON Schema of their data, and whether the team's events are
-- checked against their type's schema at ingest.
CREATE TABLE event_types (
    team_id     text NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
    name        text NOT NULL,           -- normalized (eventtype.Normalize)
    description text NOT NULL DEFAULT '',
    schema      jsonb NOT NULL,
    example     jsonb,                   -- an example of the data, checked against schema
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (team_id, name)
);
ALTER TABLE teams ADD COLUMN validate_data boolean NOT NULL DEFAULT false;
-- herald_deliveries_waiting{status} counts the deliveries not yet final at
-- each scrape: a partial index keeps that to the few open rows.
CREATE INDEX deliveries_open ON deliveries (status) WHERE status IN ('pending', 'retrying', 'grouped');
