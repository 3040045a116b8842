-- The team-wide views (issue: the operator's day): a team's deliveries
-- newest first, by status (what failed or retries now), and its events by
-- type, without scanning other teams' rows.
CREATE INDEX deliveries_team_recent ON deliveries (team_id, id DESC);
CREATE INDEX deliveries_team_status ON deliveries (team_id, status, id DESC);
CREATE INDEX events_team_type_recent ON events (team_id, type, received_at DESC, id DESC);
