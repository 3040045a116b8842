-- An integration's own disable threshold (NULL: HERALD_DISABLE_AFTER), and
-- how many of its team's integrations its last disable notice
-- (integration:disabled) reached (NULL: never disabled since this column).
ALTER TABLE integrations
    ADD COLUMN disable_after          integer,
    ADD COLUMN disable_notice_reached integer;
