-- How a webhook receiver authenticates Herald beyond the signature: custom
-- headers, a client certificate (mutual TLS) and OAuth 2.0 client
-- credentials, as one JSON value sealed at rest like the URL and secrets
-- (store/sealed.go; '' is none).
ALTER TABLE integrations ADD COLUMN auth text NOT NULL DEFAULT '';
