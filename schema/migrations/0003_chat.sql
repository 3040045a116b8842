-- Chat integrations: the message format (Teams: adaptive-card or message-card;
-- empty picks by URL) and the channel a Slack installation posts to.
ALTER TABLE integrations
    ADD COLUMN format  text NOT NULL DEFAULT '',
    ADD COLUMN channel text NOT NULL DEFAULT '';
