-- One row per "Add to Slack" link: the signed state names its nonce, the
-- callback deletes the row (so a state works once), and browser_hash is the
-- SHA-256 of the cookie given to the browser that started the install (so a
-- state carried to another browser does not finish there). browser_hash is
-- empty until a link made for an API client is first opened.
CREATE TABLE slack_install_states (
    nonce        text PRIMARY KEY,
    team_id      text NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    browser_hash bytea,
    expires_at   timestamptz NOT NULL
);
CREATE INDEX slack_install_states_expiry ON slack_install_states (expires_at);
