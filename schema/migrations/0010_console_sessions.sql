-- Console sign-ins. The browser's cookie holds a random session id; only its
-- SHA-256 is stored, with the key it signed in with: revoking the key, or
-- signing out, ends the session at once. Sessions end after an idle time
-- and at an absolute expiry (gateway/console.go).
CREATE TABLE console_sessions (
    id_hash      bytea PRIMARY KEY,
    key_id       text NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL
);
CREATE INDEX console_sessions_key ON console_sessions (key_id);
