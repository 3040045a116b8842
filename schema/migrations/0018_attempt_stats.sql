-- Numbers per integration (GET /v1/integrations/{id}/stats,
-- internal/store/stats.go). Each attempt names its integration, so one
-- index answers "its attempts of this hour" without the deliveries table.
-- attempt_hour_stats rolls up each finished hour once it is asked for: a
-- row per outcome with its attempts and their latency histogram (log-scale,
-- four buckets per doubling, kept sparse), and a row with outcome '' that
-- says the hour is rolled up. A week's numbers then read a few hundred rows.
ALTER TABLE attempts ADD COLUMN integration_id text;
UPDATE attempts a SET integration_id = d.integration_id FROM deliveries d WHERE d.id = a.delivery_id;
ALTER TABLE attempts ALTER COLUMN integration_id SET NOT NULL;
CREATE INDEX attempts_integration_time ON attempts (integration_id, started_at) INCLUDE (outcome, duration_ms);

CREATE TABLE attempt_hour_stats (
    integration_id text NOT NULL,
    hour           timestamptz NOT NULL,
    outcome        text NOT NULL,            -- '': the mark that the hour is rolled up
    attempts       bigint NOT NULL,
    buckets        integer[] NOT NULL,       -- latency buckets that have attempts, ascending
    bucket_counts  bigint[] NOT NULL,        -- their attempts
    PRIMARY KEY (integration_id, hour, outcome)
);
