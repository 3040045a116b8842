-- An event that cannot be started waits its turn again later (next_try_at),
-- counting the tries that failed for a reason of its own; after a few such
-- tries, or at once when Temporal refuses it for what it carries, it is set
-- aside with its reason (shown by the API and counted in /metrics), so the
-- dispatcher never stalls behind it.
ALTER TABLE event_outbox
    ADD COLUMN tries        integer NOT NULL DEFAULT 0,
    ADD COLUMN next_try_at  timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN last_error   text NOT NULL DEFAULT '',
    ADD COLUMN set_aside_at timestamptz;
CREATE INDEX event_outbox_waiting ON event_outbox (team_id, received_at) WHERE set_aside_at IS NULL;
