-- Secret rotation: the previous secret keeps signing until it expires.
ALTER TABLE integrations
    ADD COLUMN previous_secret            text NOT NULL DEFAULT '',
    ADD COLUMN previous_secret_expires_at timestamptz;
