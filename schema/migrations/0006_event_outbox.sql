-- Events a gateway accepted while it was at its ingest limit: kept here, and
-- started at Temporal's pace by the gateways' dispatchers (gateway/outbox.go).
CREATE TABLE event_outbox (
    team_id     text NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    event_id    text NOT NULL,
    input       jsonb NOT NULL,
    received_at timestamptz NOT NULL,
    PRIMARY KEY (team_id, event_id)
);
CREATE INDEX event_outbox_received ON event_outbox (received_at);
