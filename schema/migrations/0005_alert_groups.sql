-- Alert noise control: a team's alert policy, an integration's override, and
-- the delivery that carried a grouped alert.
ALTER TABLE teams ADD COLUMN alert_policy jsonb;
ALTER TABLE integrations ADD COLUMN alert_policy jsonb;
ALTER TABLE deliveries ADD COLUMN carrier_delivery_id text;
CREATE INDEX deliveries_carrier ON deliveries (carrier_delivery_id) WHERE carrier_delivery_id IS NOT NULL;
