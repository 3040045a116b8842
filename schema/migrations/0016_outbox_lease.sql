-- A dispatcher claims a batch of queued events with a lease (its name and
-- the lease's end), committed at once; it starts their workflows outside any
-- transaction and then settles them. A dispatcher that dies leaves its claim
-- to lapse, and another takes the events then: no lock is held across the
-- network to Temporal (gateway/outbox.go, internal/store/outbox.go).
ALTER TABLE event_outbox
    ADD COLUMN claimed_by    text,
    ADD COLUMN claimed_until timestamptz;
