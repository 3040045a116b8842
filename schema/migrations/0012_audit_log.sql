-- Who changed what (issue: security in depth). One row per change, written
-- in the transaction of the change itself, so a change that rolls back
-- leaves no entry. No foreign keys: an entry outlives the integration or
-- key it names. Never a secret value: summaries name what changed.
CREATE TABLE audit_log (
    id          text PRIMARY KEY,            -- aud_<UUIDv7>: sorts by time
    team_id     text,                        -- NULL: operator-wide (a new team)
    actor_kind  text NOT NULL,               -- key | herald | database
    actor_id    text NOT NULL DEFAULT '',    -- the key's id
    actor_name  text NOT NULL DEFAULT '',
    via         text NOT NULL DEFAULT '',    -- api | console | cli | herald
    action      text NOT NULL,
    object_type text NOT NULL,
    object_id   text NOT NULL,
    summary     jsonb NOT NULL DEFAULT '{}',
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_team ON audit_log (team_id, id DESC);
CREATE INDEX audit_log_object ON audit_log (team_id, object_id, id DESC);
CREATE INDEX audit_log_actor ON audit_log (team_id, actor_id, id DESC);
CREATE INDEX audit_log_created ON audit_log (created_at);
