-- Per-agent token cut-off (F-03): every access token of the agent with an iat before this instant is inactive on the
-- management API, introspection and revocation, even though its signature and exp are still good. Set by
-- POST /api/v1/agents/{agentId}/tokens/revoke and by suspension, credential revocation and rotation. Always a whole
-- second, because iat is one. An UPDATE of agents already notifies agentidp_client_changed (V3), so every task drops
-- its cached copy of the agent at once.
ALTER TABLE agents ADD COLUMN tokens_revoked_before timestamptz
    CHECK (tokens_revoked_before IS NULL OR tokens_revoked_before = date_trunc('second', tokens_revoked_before));
