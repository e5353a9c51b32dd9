-- RFC 8707 resource indicators: the absolute URIs (no fragment) an agent may ask a token for with the resource
-- parameter; such a token's aud is exactly the resources asked for. Empty: the agent's tokens carry only the
-- default audience (TOKEN_AUDIENCE). The API checks each URI (agent/ResourceIndicator); the bounds here keep a row
-- written by hand in SQL from producing tokens longer than the service accepts. An UPDATE of agents already notifies
-- agentidp_client_changed (V3), so every task drops its cached client record — and with it the old list — at once.
ALTER TABLE agents ADD COLUMN resources text[] NOT NULL DEFAULT '{}'
    CHECK (cardinality(resources) <= 10 AND array_position(resources, NULL) IS NULL);
