-- Integration health, per-integration retry policies and recovery probing.
ALTER TABLE integrations
    ADD COLUMN failed_requests      integer NOT NULL DEFAULT 0,
    ADD COLUMN first_failed_at      timestamptz,
    ADD COLUMN consecutive_failures integer NOT NULL DEFAULT 0,
    ADD COLUMN disabled_reason      text NOT NULL DEFAULT '',
    ADD COLUMN disabled_at          timestamptz,
    ADD COLUMN disabled_by          text NOT NULL DEFAULT '',
    -- Set when a disable was decided and not carried out yet: decided once.
    ADD COLUMN disable_pending      text NOT NULL DEFAULT '',
    ADD COLUMN retry_policy         jsonb,
    ADD COLUMN auto_recover         boolean NOT NULL DEFAULT false;

-- Recovery finds an integration's deliveries waiting on backoff, bulk resend its
-- failed ones, and the recent-events view pages through them newest first; ids
-- are time-ordered (UUIDv7), so (integration, id) orders by creation.
CREATE INDEX deliveries_integration_status ON deliveries (integration_id, status, id);
CREATE INDEX deliveries_integration_id ON deliveries (integration_id, id);

-- Why each attempt ended as it did, in words (HTTP 503, Slack said channel_not_found, …).
ALTER TABLE attempts ADD COLUMN reason text NOT NULL DEFAULT '';
