-- Per-destination delivery control: each integration's rate limit, its cap
-- on requests in flight and its ordering (docs/architecture.md, "Pacing").
ALTER TABLE integrations
    ADD COLUMN rate_limit    jsonb,                        -- pacing.Override; NULL: the channel's default
    ADD COLUMN max_in_flight integer,                      -- NULL: the channel's default
    ADD COLUMN ordering      text NOT NULL DEFAULT 'none'; -- none | fifo

-- The shared pace of one integration, on a row of its own so that a
-- reservation locks nothing that attempts or the API touch, and 10,000
-- integrations are 10,000 independent rows. tat is the GCRA state of the
-- reservations workflows wait for; sent_tat the state of the requests as
-- they actually go (checked again just before each one).
CREATE TABLE integration_pace (
    integration_id text PRIMARY KEY REFERENCES integrations (id) ON DELETE CASCADE,
    tat            timestamptz NOT NULL DEFAULT '1970-01-01', -- long past: the full burst
    sent_tat       timestamptz NOT NULL DEFAULT '1970-01-01',
    slowdown       integer NOT NULL DEFAULT 0,
    slowed_at      timestamptz NOT NULL DEFAULT '1970-01-01',
    -- the latest time the platform said nothing may go before (a 429's
    -- Retry-After, Discord's empty bucket): checked again after a short wait
    held_until     timestamptz NOT NULL DEFAULT '1970-01-01'
);

-- The places for requests in flight to an integration with a maxInFlight:
-- slots 1..maxInFlight, made when first needed. A request takes a free slot
-- (holder NULL or expired) with one SKIP LOCKED update and frees it when its
-- attempt ends; a worker that died frees it by expires_at.
CREATE TABLE integration_slots (
    integration_id text NOT NULL REFERENCES integrations (id) ON DELETE CASCADE,
    slot           integer NOT NULL,
    holder         text,
    expires_at     timestamptz NOT NULL DEFAULT '1970-01-01',
    PRIMARY KEY (integration_id, slot)
);

-- What a delivery waits for before its next attempt (slot, turn, in-flight),
-- and whether it went before an earlier delivery of a fifo integration.
-- seq orders a fifo integration's deliveries as their events were received.
ALTER TABLE deliveries
    ADD COLUMN waiting_for  text NOT NULL DEFAULT '',
    ADD COLUMN out_of_order boolean NOT NULL DEFAULT false,
    ADD COLUMN seq          bigint GENERATED ALWAYS AS IDENTITY;
CREATE INDEX deliveries_integration_open ON deliveries (integration_id, seq)
    WHERE status IN ('pending', 'retrying');
