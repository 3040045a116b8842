-- Routing by content and shaping by template (docs/routing.md): an
-- integration's filter and webhook transform are CEL expressions ('' none),
-- its chat template {"title","text"} (NULL none). An event keeps, per
-- integration its type and project matched but its filter turned away,
-- why (filtered: [{"integrationId","integrationName","reason"}]).
ALTER TABLE integrations
    ADD COLUMN filter    text NOT NULL DEFAULT '',
    ADD COLUMN template  jsonb,
    ADD COLUMN transform text NOT NULL DEFAULT '';
ALTER TABLE events
    ADD COLUMN filtered jsonb;
